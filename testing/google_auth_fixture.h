// Keys and credential files for the Google auth tests: an RSA key made by the
// `openssl` command (an implementation independent of Ferry's signing), the
// service account key JSON and authorized_user JSON Google's tools write,
// and a loopback port nothing listens on (the metadata host of tests that
// must find no metadata server without sending traffic anywhere else).
#pragma once

#include <filesystem>
#include <string>

namespace ferry::testing {

struct OpensslKey {
  std::filesystem::path dir;   // key.pem (PKCS#8), pub.pem; removed with the object
  std::string pem;
  // `openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048`; fails the
  // test (ADD_FAILURE) when openssl fails.
  static OpensslKey Make();
  ~OpensslKey();
  OpensslKey() = default;
  OpensslKey(OpensslKey&& o) noexcept : dir(std::move(o.dir)), pem(std::move(o.pem)) { o.dir.clear(); }
  // A service account key file's JSON with this key; token_uri omitted when empty.
  std::string KeyJson(const std::string& token_uri) const;
};

// Empty when the `openssl` command runs, else why not.
std::string OpensslMissing();

// A fresh directory under the temp dir; removed by the caller.
std::filesystem::path MakeTempDir(const std::string& prefix);

// "127.0.0.1:PORT" of a port that was free a moment ago (bound, then closed).
std::string ClosedLoopbackHostPort();

}  // namespace ferry::testing
