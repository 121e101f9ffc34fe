#include "ferry/uuid.h"

#include <openssl/evp.h>

#include <cstring>
#include <random>

namespace ferry::uuid {

namespace {
// xoshiro256** seeded per thread from the OS: fast, and 122 random bits per
// UUID make collisions as unlikely as with a cryptographic source. (_cq_id is
// an identifier, not a secret.)
struct Xoshiro {
  uint64_t s[4];
  Xoshiro() {
    std::random_device rd;
    for (auto& w : s) w = (static_cast<uint64_t>(rd()) << 32) ^ rd();
  }
  static uint64_t Rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  uint64_t Next() {
    const uint64_t result = Rotl(s[1] * 5, 7) * 9;
    const uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = Rotl(s[3], 45);
    return result;
  }
};
}  // namespace

void NewV4(char out[16]) {
  thread_local Xoshiro rng;
  uint64_t a = rng.Next(), b = rng.Next();
  std::memcpy(out, &a, 8);
  std::memcpy(out + 8, &b, 8);
  out[6] = static_cast<char>((out[6] & 0x0f) | 0x40);
  out[8] = static_cast<char>((out[8] & 0x3f) | 0x80);
}

std::string NewV4() {
  std::string out(16, '\0');
  NewV4(out.data());
  return out;
}

std::string V5(std::string_view ns16, std::string_view name) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  EVP_DigestInit_ex(ctx, EVP_sha1(), nullptr);
  EVP_DigestUpdate(ctx, ns16.data(), ns16.size());
  EVP_DigestUpdate(ctx, name.data(), name.size());
  EVP_DigestFinal_ex(ctx, digest, &len);
  EVP_MD_CTX_free(ctx);
  std::string out(reinterpret_cast<const char*>(digest), 16);
  out[6] = static_cast<char>((out[6] & 0x0f) | 0x50);
  out[8] = static_cast<char>((out[8] & 0x3f) | 0x80);
  return out;
}

std::string ToString(std::string_view b) {
  static const char* hex = "0123456789abcdef";
  std::string s;
  s.reserve(36);
  for (size_t i = 0; i < b.size() && i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) s.push_back('-');
    auto c = static_cast<unsigned char>(b[i]);
    s.push_back(hex[c >> 4]);
    s.push_back(hex[c & 15]);
  }
  return s;
}

Result<std::string> Parse(std::string_view text) {
  std::string out;
  int hi = -1;
  for (char c : text) {
    if (c == '-') continue;
    int v;
    if (c >= '0' && c <= '9') v = c - '0';
    else if (c >= 'a' && c <= 'f') v = c - 'a' + 10;
    else if (c >= 'A' && c <= 'F') v = c - 'A' + 10;
    else return Status::Invalid("invalid UUID \"" + std::string(text) + "\"");
    if (hi < 0) hi = v;
    else {
      out.push_back(static_cast<char>(hi << 4 | v));
      hi = -1;
    }
  }
  if (out.size() != 16 || hi >= 0) return Status::Invalid("invalid UUID \"" + std::string(text) + "\"");
  return out;
}

}  // namespace ferry::uuid
