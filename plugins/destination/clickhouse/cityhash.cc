#include "plugins/destination/clickhouse/cityhash.h"

#include <cstring>
#include <utility>

namespace ferry::plugins::clickhouse {

namespace {

// The algorithm's constants (primes between 2^63 and 2^64) and its 128->64 mixer.
constexpr uint64_t kP0 = 0xc3a5c85c97cb3127ULL;
constexpr uint64_t kP1 = 0xb492b66fbe98f273ULL;
constexpr uint64_t kP2 = 0x9ae16a3b2f90404fULL;
constexpr uint64_t kP3 = 0xc949d7c7509e6557ULL;
constexpr uint64_t kMix = 0x9ddfea08eb382d69ULL;

uint64_t Load64(const char* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}
uint64_t Load32(const char* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}
uint64_t Ror(uint64_t v, int n) { return n == 0 ? v : (v >> n) | (v << (64 - n)); }
uint64_t Shift47(uint64_t v) { return v ^ (v >> 47); }

// Two words to one (the "Hash128to64" step of the algorithm).
uint64_t Fold(uint64_t lo, uint64_t hi) {
  uint64_t a = (lo ^ hi) * kMix;
  a ^= a >> 47;
  uint64_t b = (hi ^ a) * kMix;
  b ^= b >> 47;
  return b * kMix;
}

uint64_t Short(const char* s, size_t n) {  // n <= 16
  if (n > 8) {
    const uint64_t a = Load64(s), b = Load64(s + n - 8);
    return Fold(a, Ror(b + n, static_cast<int>(n))) ^ b;
  }
  if (n >= 4) return Fold(n + (Load32(s) << 3), Load32(s + n - 4));
  if (n > 0) {
    const uint32_t y = static_cast<uint8_t>(s[0]) + (static_cast<uint32_t>(static_cast<uint8_t>(s[n >> 1])) << 8);
    const uint32_t z = static_cast<uint32_t>(n) + (static_cast<uint32_t>(static_cast<uint8_t>(s[n - 1])) << 2);
    return Shift47(y * kP2 ^ z * kP3) * kP2;
  }
  return kP2;
}

// 32 bytes plus two seeds to two words.
std::pair<uint64_t, uint64_t> Mix32(const char* s, uint64_t a, uint64_t b) {
  const uint64_t w = Load64(s), x = Load64(s + 8), y = Load64(s + 16), z = Load64(s + 24);
  a += w;
  b = Ror(b + a + z, 21);
  const uint64_t c = a;
  a += x + y;
  b += Ror(a, 44);
  return {a + z, b + c};
}

// Inputs shorter than 128 bytes: the "CityMurmur" branch.
Hash128 Medium(const char* s, size_t n, uint64_t a, uint64_t b) {
  uint64_t c, d;
  if (n <= 16) {
    a = Shift47(a * kP1) * kP1;
    c = b * kP1 + Short(s, n);
    d = Shift47(a + (n >= 8 ? Load64(s) : c));
  } else {
    c = Fold(Load64(s + n - 8) + kP1, a);
    d = Fold(b + n, c + Load64(s + n - 16));
    a += d;
    for (ptrdiff_t left = static_cast<ptrdiff_t>(n) - 16; left > 0; left -= 16, s += 16) {
      a ^= Shift47(Load64(s) * kP1) * kP1;
      a *= kP1;
      b ^= a;
      c ^= Shift47(Load64(s + 8) * kP1) * kP1;
      c *= kP1;
      d ^= c;
    }
  }
  a = Fold(a, c);
  b = Fold(d, b);
  return {a ^ b, Fold(b, a)};
}

Hash128 WithSeed(const char* s, size_t n, uint64_t seed_lo, uint64_t seed_hi) {
  if (n < 128) return Medium(s, n, seed_lo, seed_hi);
  uint64_t x = seed_lo, y = seed_hi, z = n * kP1;
  std::pair<uint64_t, uint64_t> v, w;
  v.first = Ror(y ^ kP1, 49) * kP1 + Load64(s);
  v.second = Ror(v.first, 42) * kP1 + Load64(s + 8);
  w.first = Ror(y + z, 35) * kP1 + x;
  w.second = Ror(x + Load64(s + 88), 53) * kP1;
  // One 64-byte round; the body runs it twice per 128 bytes.
  auto round = [&](const char* p) {
    x = Ror(x + y + v.first + Load64(p + 16), 37) * kP1;
    y = Ror(y + v.second + Load64(p + 48), 42) * kP1;
    x ^= w.second;
    y ^= v.first;
    z = Ror(z ^ w.first, 33);
    v = Mix32(p, v.second * kP1, x + w.first);
    w = Mix32(p + 32, z + w.second, y);
    std::swap(z, x);
  };
  do {
    round(s);
    round(s + 64);
    s += 128;
    n -= 128;
  } while (n >= 128);
  y += Ror(w.first, 37) * kP0 + z;
  x += Ror(v.first + z, 49) * kP0;
  // The tail (under 128 bytes): up to four 32-byte pieces taken from its end.
  for (size_t done = 0; done < n;) {
    done += 32;
    y = Ror(y - x, 42) * kP0 + v.second;
    w.first += Load64(s + n - done + 16);
    x = Ror(x, 49) * kP0 + w.first;
    w.first += v.first;
    v = Mix32(s + n - done, v.first, v.second);
  }
  x = Fold(x, v.first);
  y = Fold(y, w.first);
  return {Fold(x + v.second, w.second) + y, Fold(x + w.second, y + v.second)};
}

}  // namespace

Hash128 CityHash128(const char* s, size_t n) {
  if (n >= 16) return WithSeed(s + 16, n - 16, Load64(s) ^ kP3, Load64(s + 8));
  if (n >= 8) return WithSeed(nullptr, 0, Load64(s) ^ (n * kP0), Load64(s + n - 8) ^ kP1);
  return WithSeed(s, n, kP0, kP1);
}

}  // namespace ferry::plugins::clickhouse
