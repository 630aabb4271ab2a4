// What the plan decoder's files share (plan.cc frames the records and
// dispatches each by its concern, from plan_format.h, to the decoder in
// plan_<concern>.cc): the bounds-checked cursor records are read with (every
// read checks what is left first and marks the record bad instead of
// overrunning it), array growth and error formatting.
#pragma once
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "plan_decode.h"
#include "util.h"

struct reader {
  const uint8_t* p;
  size_t n;
  bool bad;

  bool need(size_t k) {
    if (bad || n < k) bad = true;
    return !bad;
  }
  uint32_t u32() {
    uint32_t v = 0;
    if (need(4)) memcpy(&v, p, 4), p += 4, n -= 4;
    return v;
  }
  uint64_t u64() {
    uint64_t v = 0;
    if (need(8)) memcpy(&v, p, 8), p += 8, n -= 8;
    return v;
  }
  char* bytes(size_t k) {
    if (!need(k)) return nullptr;
    if (memchr(p, 0, k)) {
      bad = true;
      return nullptr;
    }
    char* s = (char*)malloc(k + 1);
    if (!s) die(0, "plan: out of memory");
    memcpy(s, p, k);
    s[k] = 0;
    p += k;
    n -= k;
    return s;
  }
  char* lstr() { return bytes(u32()); }
  // Binary rest of the payload (NULs allowed), malloc'ed.
  uint8_t* raw(size_t* len) {
    *len = n;
    uint8_t* b = (uint8_t*)malloc(n ? n : 1);
    if (!b) die(0, "plan: out of memory");
    memcpy(b, p, n);
    p += n;
    n = 0;
    return b;
  }
  char* rest() { return bytes(n); }
};

// Appends one zeroed element to a malloc'ed array, growing it in powers of two.
void* plan_push(void** arr, size_t* n, size_t elem);
#define PUSH(arr, n) ((decltype(arr))plan_push((void**)&(arr), &(n), sizeof *(arr)))

// A "plan: ..." message with one number, in a static buffer.
const char* plan_errf(const char* f, unsigned v);

// Each decodes one record of its concern from r (the record's whole
// payload) into o and returns NULL or a "plan: ..." message. plan.cc then
// checks that the record was read neither past its end (r.bad) nor short of
// it (r.n). The tags of each concern: src/plan/format.ts.
const char* plan_namespaces_record(plan* o, uint16_t tag, reader& r);
const char* plan_mounts_record(plan* o, uint16_t tag, reader& r);
const char* plan_process_record(plan* o, uint16_t tag, reader& r);
const char* plan_security_record(plan* o, uint16_t tag, reader& r);
const char* plan_lifecycle_record(plan* o, uint16_t tag, reader& r);
