#include "testing/google_auth_fixture.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <random>
#include <sstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace ferry::testing {

std::filesystem::path MakeTempDir(const std::string& prefix) {
  std::string tmpl = (std::filesystem::temp_directory_path() / (prefix + "XXXXXX")).string();
  if (!mkdtemp(tmpl.data())) ADD_FAILURE() << "mkdtemp " << tmpl;
  return tmpl;
}

std::string OpensslMissing() {
  return std::system("openssl version >/dev/null 2>&1") == 0
             ? ""
             : "the openssl command is not installed (Debian package openssl)";
}

OpensslKey OpensslKey::Make() {
  OpensslKey k;
  k.dir = MakeTempDir("ferry-gauth-");
  const std::string d = k.dir.string();
  const std::string cmd = "openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out '" + d +
                          "/key.pem' 2>/dev/null && openssl pkey -in '" + d + "/key.pem' -pubout -out '" + d +
                          "/pub.pem' 2>/dev/null";
  if (std::system(cmd.c_str()) != 0) ADD_FAILURE() << "openssl could not make a key: " << cmd;
  std::ifstream in(k.dir / "key.pem");
  std::ostringstream ss;
  ss << in.rdbuf();
  k.pem = ss.str();
  if (k.pem.find("BEGIN PRIVATE KEY") == std::string::npos) ADD_FAILURE() << "not a PKCS#8 PEM key";
  return k;
}

OpensslKey::~OpensslKey() {
  std::error_code ec;
  if (!dir.empty()) std::filesystem::remove_all(dir, ec);
}

std::string OpensslKey::KeyJson(const std::string& token_uri) const {
  nlohmann::json j = {{"type", "service_account"},
                      {"project_id", "ferry-project"},
                      {"private_key_id", "kid-0123456789"},
                      {"private_key", pem},
                      {"client_email", "ferry-test@ferry-project.iam.gserviceaccount.com"},
                      {"client_id", "1234567890"}};
  if (!token_uri.empty()) j["token_uri"] = token_uri;
  return j.dump(2);
}

std::string ClosedLoopbackHostPort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  if (fd < 0 || bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0)
    ADD_FAILURE() << "could not bind a loopback port";
  const int port = ntohs(a.sin_port);
  close(fd);
  return "127.0.0.1:" + std::to_string(port);
}

}  // namespace ferry::testing
