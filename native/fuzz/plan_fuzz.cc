// Fuzz/property test of carton-init's plan decoder (native/init/plan*.cc),
// built with AddressSanitizer and UBSan (Makefile beside this file), run by
// test/fuzz/plan-decoder.test.ts.
//
// Every seed is a plan the real TypeScript encoder wrote: each must decode
// (the two sides agree on every tag the encoder writes). Then random
// mutations of the seeds, and random bytes behind a valid header, must be
// either decoded or rejected with a "plan: ..." message: never a crash, an
// out-of-bounds read (ASan) or undefined behaviour (UBSan). Each input sits
// in a buffer of exactly its own size, so reading one byte past it is caught.
//
// usage: plan_fuzz ITERATIONS SEED_FILE...   (FUZZ_SEED=n picks the PRNG seed)
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <string>
#include <vector>

#include "plan_decode.h"

namespace {

uint64_t g_rng = 0x9e3779b97f4a7c15ull;

uint64_t next() { // xorshift64*: fast, deterministic for a given FUZZ_SEED
  g_rng ^= g_rng >> 12;
  g_rng ^= g_rng << 25;
  g_rng ^= g_rng >> 27;
  return g_rng * 2685821657736338717ull;
}

size_t below(size_t n) { return n ? (size_t)(next() % n) : 0; }

std::vector<uint8_t> read_file(const char* path) {
  std::vector<uint8_t> out;
  FILE* f = fopen(path, "rb");
  if (!f) {
    perror(path);
    exit(2);
  }
  uint8_t buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, f)) > 0) out.insert(out.end(), buf, buf + n);
  fclose(f);
  return out;
}

// Values that sit on the decoder's boundaries: lengths of 0, of exactly what
// is left, one more, and huge ones that would wrap a size computation.
uint32_t interesting(size_t len) {
  const uint32_t v[] = {0,
                        1,
                        2,
                        3,
                        4,
                        7,
                        8,
                        0x7f,
                        0xff,
                        0xffff,
                        0x7fffffff,
                        0x80000000u,
                        0xfffffffeu,
                        0xffffffffu,
                        (uint32_t)len,
                        (uint32_t)len - 1,
                        (uint32_t)len + 1,
                        (uint32_t)len / 2};
  return v[below(sizeof v / sizeof v[0])];
}

// Header: "CRTNPLAN", u32 version, u32 total length; then records of u16 tag,
// u16 reserved, u32 length, payload (plan.h). Cuts one record's payload short
// and makes it the last thing in the buffer, with consistent lengths: the
// record's decoder then reads right up to the end of the allocation, where
// any read past its payload is an ASan report instead of a read of the next
// record's header.
void cut_record(std::vector<uint8_t>& b) {
  std::vector<size_t> starts;
  for (size_t off = 16; off + 8 <= b.size();) {
    uint32_t len;
    memcpy(&len, &b[off + 4], 4);
    starts.push_back(off);
    if (len > b.size() - off - 8) break;
    off += 8 + len;
  }
  if (starts.empty()) return;
  size_t off = starts[below(starts.size())];
  uint32_t len;
  memcpy(&len, &b[off + 4], 4);
  size_t have = b.size() - off - 8;
  uint32_t keep = (uint32_t)below((len < have ? len : have) + 1);
  b.resize(off + 8 + keep);
  memcpy(&b[off + 4], &keep, 4);
  uint32_t total = (uint32_t)b.size();
  memcpy(&b[12], &total, 4);
}

void mutate(std::vector<uint8_t>& b) {
  if (below(3) == 0) {
    cut_record(b);
    return;
  }
  int ops = 1 + (int)below(4);
  for (int i = 0; i < ops; i++) {
    size_t n = b.size();
    switch (below(8)) {
      case 0: // flip one bit
        if (n) b[below(n)] ^= (uint8_t)(1u << below(8));
        break;
      case 1: // one random byte
        if (n) b[below(n)] = (uint8_t)next();
        break;
      case 2: // a boundary value over a u32 (tags, lengths, counts, fds)
        if (n >= 4) {
          uint32_t v = interesting(n);
          memcpy(&b[below(n - 3)], &v, 4);
        }
        break;
      case 3: // truncate
        b.resize(below(n + 1));
        break;
      case 4: // cut a chunk out
        if (n) {
          size_t at = below(n), k = 1 + below(n - at);
          b.erase(b.begin() + (long)at, b.begin() + (long)(at + k));
        }
        break;
      case 5: // insert random bytes
      {
        size_t at = below(n + 1), k = 1 + below(16);
        std::vector<uint8_t> r(k);
        for (auto& x : r) x = (uint8_t)next();
        b.insert(b.begin() + (long)at, r.begin(), r.end());
        break;
      }
      case 6: // repeat a chunk (duplicate records)
        if (n) {
          size_t at = below(n), k = 1 + below(n - at < 64 ? n - at : 64);
          std::vector<uint8_t> c(b.begin() + (long)at, b.begin() + (long)(at + k));
          b.insert(b.begin() + (long)below(n + 1), c.begin(), c.end());
        }
        break;
      case 7: // keep the header's total length in step, so the records are reached
        if (n >= 16) {
          uint32_t v = (uint32_t)n;
          memcpy(&b[12], &v, 4);
        }
        break;
    }
  }
}

// Decodes `b` from an exact-size heap copy. Returns true if it was accepted.
bool decode(const std::vector<uint8_t>& b, std::string* why) {
  uint8_t* exact = (uint8_t*)malloc(b.size() ? b.size() : 1);
  if (b.size()) memcpy(exact, b.data(), b.size());
  plan p;
  memset(&p, 0, sizeof p);
  const char* err = plan_decode(exact, b.size(), &p);
  // Touch what an accepted plan hands to init, so a dangling pointer shows.
  if (!err) (void)plan_has_mount_ns(&p);
  free(exact);
  if (err) {
    if (strncmp(err, "plan: ", 6) != 0) {
      fprintf(stderr, "rejection without the \"plan: \" prefix: %s\n", err);
      exit(3);
    }
    if (why) *why = err;
  }
  return !err;
}

} // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: %s ITERATIONS SEED_FILE...\n", argv[0]);
    return 2;
  }
  long iters = strtol(argv[1], nullptr, 10);
  if (const char* s = getenv("FUZZ_SEED")) g_rng ^= strtoull(s, nullptr, 10) * 0xbf58476d1ce4e5b9ull;
  std::vector<std::vector<uint8_t>> seeds;
  for (int i = 2; i < argc; i++) {
    seeds.push_back(read_file(argv[i]));
    std::string why;
    if (!decode(seeds.back(), &why)) {
      fprintf(stderr, "seed %s: the encoder's plan is rejected: %s\n", argv[i], why.c_str());
      return 1;
    }
  }
  long accepted = 0, rejected = 0;
  for (long i = 0; i < iters; i++) {
    std::vector<uint8_t> b;
    if (i % 10 == 9) {
      // Random records behind the real header of a seed.
      const std::vector<uint8_t>& s = seeds[below(seeds.size())];
      b.assign(s.begin(), s.begin() + 16);
      size_t k = below(512);
      for (size_t j = 0; j < k; j++) b.push_back((uint8_t)next());
      uint32_t total = (uint32_t)b.size();
      memcpy(&b[12], &total, 4);
    } else {
      b = seeds[below(seeds.size())];
      mutate(b);
    }
    if (decode(b, nullptr))
      accepted++;
    else
      rejected++;
  }
  printf("%zu seeds decoded; %ld inputs: %ld accepted, %ld rejected cleanly\n", seeds.size(), iters, accepted,
         rejected);
  return 0;
}
