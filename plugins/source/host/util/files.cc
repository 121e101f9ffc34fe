#include "plugins/source/host/util/files.h"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace ferry::plugins::host {

int ReadFile(const std::string& path, std::string* out, int64_t max_bytes) {
  out->clear();
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  if (fd < 0) return errno;
  char buf[16384];
  int err = 0;
  while (static_cast<int64_t>(out->size()) < max_bytes) {
    size_t want = static_cast<size_t>(std::min<int64_t>(sizeof(buf), max_bytes - static_cast<int64_t>(out->size())));
    ssize_t n = ::read(fd, buf, want);
    if (n < 0) {
      if (errno == EINTR) continue;
      err = errno;
      break;
    }
    if (n == 0) break;
    out->append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return err;
}

int ReadLink(const std::string& path, std::string* out) {
  out->clear();
  std::string buf(256, '\0');
  for (;;) {
    ssize_t n = ::readlink(path.c_str(), buf.data(), buf.size());
    if (n < 0) return errno;
    if (static_cast<size_t>(n) < buf.size()) {
      buf.resize(static_cast<size_t>(n));
      *out = std::move(buf);
      return 0;
    }
    if (buf.size() >= (1u << 16)) return ENAMETOOLONG;
    buf.resize(buf.size() * 2);
  }
}

int ListDir(const std::string& path, std::vector<std::string>* names) {
  names->clear();
  DIR* d = ::opendir(path.c_str());
  if (!d) return errno;
  errno = 0;
  while (dirent* e = ::readdir(d)) {
    if (std::strcmp(e->d_name, ".") == 0 || std::strcmp(e->d_name, "..") == 0) continue;
    names->emplace_back(e->d_name);
  }
  int err = errno;
  ::closedir(d);
  return err;
}

std::string ReadAttr(const std::string& path) {
  std::string s;
  if (ReadFile(path, &s, 1 << 16) != 0) return "";
  size_t nl = s.find('\n');
  if (nl != std::string::npos) s.resize(nl);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.pop_back();
  size_t b = s.find_first_not_of(" \t");
  return b == std::string::npos ? "" : s.substr(b);
}

bool IsGone(int err) { return err == ENOENT || err == ESRCH || err == ENOTDIR; }
bool IsDenied(int err) { return err == EACCES || err == EPERM; }

std::string ErrnoMessage(const std::string& path, int err) { return path + ": " + std::strerror(err); }

}  // namespace ferry::plugins::host
