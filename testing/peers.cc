#include "testing/peers.h"

#include <cstdlib>

namespace ferry::testing {

std::filesystem::path PeersDir() { return std::filesystem::path(FERRY_SOURCE_DIR) / "tests" / "peers"; }

std::string PeersMissing(const std::vector<std::string>& packages) {
  if (std::system("command -v node >/dev/null 2>&1") != 0) return "node is not on PATH";
  for (const auto& pkg : packages)
    if (!std::filesystem::exists(PeersDir() / "node_modules" / pkg / "package.json"))
      return "tests/peers/node_modules/" + pkg + " is missing (run scripts/install-test-peers.sh)";
  return "";
}

std::filesystem::path PythonPeer() { return PeersDir() / "python" / ".venv" / "bin" / "python"; }

std::string PythonPeersMissing() {
  // The stamp is written last: a venv without it is half-installed.
  if (!std::filesystem::exists(PythonPeer()) || !std::filesystem::exists(PeersDir() / "python" / ".venv" / ".ferry-stamp"))
    return "tests/peers/python/.venv is missing (run scripts/install-test-peers.sh)";
  return "";
}

std::string ChdbMissing() {
  if (std::string why = PythonPeersMissing(); !why.empty()) return why;
  std::error_code ec;
  for (const auto& lib : std::filesystem::directory_iterator(PeersDir() / "python" / ".venv" / "lib", ec))
    if (std::filesystem::exists(lib.path() / "site-packages" / "chdb" / "__init__.py")) return "";
  return "chdb is not in tests/peers/python/.venv (made before chdb-core joined requirements.txt: run "
         "scripts/install-test-peers.sh)";
}

std::string BotocoreMissing() {
  if (std::string why = PythonPeersMissing(); !why.empty()) return why;
  std::error_code ec;
  for (const auto& lib : std::filesystem::directory_iterator(PeersDir() / "python" / ".venv" / "lib", ec))
    if (std::filesystem::exists(lib.path() / "site-packages" / "botocore" / "auth.py")) return "";
  return "botocore is not in tests/peers/python/.venv (made before botocore joined requirements.txt: run "
         "scripts/install-test-peers.sh)";
}

}  // namespace ferry::testing
