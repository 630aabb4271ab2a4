// One way for every addon file to fail: throw a JS Error
// "<what>: <strerror>" with .code = the errno's name and .errno = its number,
// as Node's own fs errors have, so TypeScript checks `e.code === 'EINTR'` alike.
#pragma once
#include <napi.h>

#include <string.h>

#include <string>

inline Napi::Value Fail(Napi::Env env, const std::string& what, int err) {
  Napi::Error e = Napi::Error::New(env, what + ": " + strerror(err));
  const char* name = strerrorname_np(err);
  e.Set("code", Napi::String::New(env, name ? name : "EUNKNOWN"));
  e.Set("errno", Napi::Number::New(env, err));
  e.ThrowAsJavaScriptException();
  return env.Undefined();
}
