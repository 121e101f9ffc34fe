#include "plugins/source/host/follow/log_follower.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <nlohmann/json.hpp>
#include <vector>

#include "plugins/source/host/util/files.h"
#include "plugins/source/host/util/text.h"

namespace ferry::plugins::host {

namespace {

// Fingerprints cover at most the first kHeadBytes consumed bytes: bytes of
// an append-only file never change once written, and a changed
// max_line_size never invalidates a cursor.
constexpr int64_t kHeadBytes = 1024;
constexpr size_t kChunk = 64 << 10;

// An open file of one generation. Movable, closes on destruction.
class LogFile {
 public:
  LogFile() = default;
  LogFile(const LogFile&) = delete;
  LogFile& operator=(const LogFile&) = delete;
  LogFile(LogFile&& o) noexcept { *this = std::move(o); }
  LogFile& operator=(LogFile&& o) noexcept {
    std::swap(fd_, o.fd_);
    name = std::move(o.name);
    inode = o.inode;
    size = o.size;
    return *this;
  }
  ~LogFile() {
    if (fd_ >= 0) ::close(fd_);
  }

  // Returns 0 or an errno. Only regular files are followed.
  int Open(const std::string& path) {
    fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd_ < 0) return errno;
    struct stat st;
    if (::fstat(fd_, &st) != 0) return errno;
    if (!S_ISREG(st.st_mode)) return EINVAL;
    name = path;
    inode = st.st_ino;
    size = st.st_size;
    return 0;
  }

  // FNV-1a of the first `len` bytes (<= kHeadBytes); "" when the file is shorter.
  std::string PrefixHash(int64_t len) const {
    char buf[kHeadBytes];
    len = std::min(len, kHeadBytes);
    ssize_t n = len > 0 ? ::pread(fd_, buf, static_cast<size_t>(len), 0) : 0;
    if (n != len) return "";
    return Fnv1aHex(std::string_view(buf, static_cast<size_t>(n)));
  }

  // Whether this file starts with the bytes the cursor fingerprinted.
  bool StartsLike(const LogCursor& c) const { return c.head_len == 0 || PrefixHash(c.head_len) == c.head; }

  ssize_t Read(char* buf, size_t len, int64_t at) const { return ::pread(fd_, buf, len, at); }

  std::string name;
  uint64_t inode = 0;
  int64_t size = 0;

 private:
  int fd_ = -1;
};

// The cursor at `at` with the fingerprint of the bytes consumed so far.
LogCursor Fingerprinted(const LogFile& f, LogCursor at) {
  at.head_len = std::min(at.offset, kHeadBytes);
  at.head = at.head_len > 0 ? f.PrefixHash(at.head_len) : "";
  return at;
}

bool Compressed(const std::string& name) {
  for (const char* ext : {".gz", ".xz", ".bz2", ".zst", ".lz4", ".Z", ".lzma"}) {
    std::string e(ext);
    if (name.size() > e.size() && name.compare(name.size() - e.size(), e.size(), e) == 0) return true;
  }
  return false;
}

// Uncompressed files next to `path` that rotation tools name after it:
// path.1, path.0, path.old, path-20240101, ...
std::vector<std::string> RotatedNames(const std::string& path) {
  size_t slash = path.rfind('/');
  std::string dir = slash == std::string::npos ? "." : (slash == 0 ? "/" : path.substr(0, slash));
  std::string base = slash == std::string::npos ? path : path.substr(slash + 1);
  std::vector<std::string> names, out;
  if (ListDir(dir, &names) != 0) return out;
  for (const auto& n : names) {
    if (n.size() <= base.size() || n.compare(0, base.size(), base) != 0) continue;
    char sep = n[base.size()];
    if ((sep != '.' && sep != '-') || Compressed(n)) continue;
    out.push_back(dir == "/" ? "/" + n : dir + "/" + n);
  }
  std::sort(out.begin(), out.end());
  return out;
}

class Follower {
 public:
  Follower(const std::string& path, const FollowOptions& o, const FollowEvents& ev, std::optional<LogCursor> start)
      : path_(path), opts_(o), ev_(ev), budget_(o.read_limit) {
    if (start) last_ = start->Encode();
  }

  Status Run(const std::optional<LogCursor>& cursor) {
    LogFile current;
    int err = current.Open(path_);
    if (err != 0 && !IsGone(err)) {
      ev_.warning("cannot read " + ErrnoMessage(path_, err));
      return Status::OK();
    }
    const bool exists = err == 0;
    if (!cursor || cursor->inode == 0) {
      if (!exists) {
        ev_.warning(path_ + " does not exist; nothing to follow yet");
        return Status::OK();
      }
      return ReadNew(current);
    }
    const LogCursor& c = *cursor;
    if (exists && current.inode == c.inode) {
      const bool same = current.StartsLike(c);
      if (same && current.size >= c.offset) {
        FERRY_ASSIGN_OR_RETURN(bool done, Read(current, c, false));
        (void)done;
        return Status::OK();
      }
      // Truncated, or replaced by a file that got the old one's inode after
      // it was deleted. `copytruncate` left the old lines in a copy.
      std::optional<LogFile> copy = FindCopy(c, current.inode);
      if (copy) {
        FERRY_ASSIGN_OR_RETURN(bool done, Read(*copy, c, true));
        if (!done) return Status::OK();
      } else if (c.offset > 0) {
        ev_.warning(path_ + (same ? " was truncated" : " was truncated or replaced") +
                    " and no copy of its old content was found; lines written to it since the last sync may be "
                    "missing");
      }
      return ReadNew(current);
    }
    // Rotated: the old generation lives on under another name, or is gone.
    std::optional<LogFile> old = FindByInode(c, exists ? current.inode : 0);
    if (old) {
      FERRY_ASSIGN_OR_RETURN(bool done, Read(*old, c, true));
      if (!done) return Status::OK();
    } else {
      ev_.warning(path_ + " was rotated and its previous file (inode " + std::to_string(c.inode) +
                  ") was not found uncompressed next to it; lines written to it since the last sync may be missing");
    }
    if (exists) return ReadNew(current);
    return Checkpoint(LogCursor{});  // nothing at `path` yet: start from the next file
  }

 private:
  Status ReadNew(LogFile& f) {
    FERRY_ASSIGN_OR_RETURN(bool done, Read(f, LogCursor{}, false));
    (void)done;
    return Status::OK();
  }

  std::optional<LogFile> FindByInode(const LogCursor& c, uint64_t current_inode) {
    for (const auto& name : RotatedNames(path_)) {
      struct stat st;
      if (::stat(name.c_str(), &st) != 0 || st.st_ino != c.inode || st.st_ino == current_inode) continue;
      LogFile f;
      if (f.Open(name) != 0 || !f.StartsLike(c)) continue;
      return f;
    }
    return std::nullopt;
  }

  std::optional<LogFile> FindCopy(const LogCursor& c, uint64_t current_inode) {
    if (c.head_len == 0) return std::nullopt;
    for (const auto& name : RotatedNames(path_)) {
      struct stat st;
      if (::stat(name.c_str(), &st) != 0 || st.st_ino == current_inode || st.st_size < c.offset) continue;
      LogFile f;
      if (f.Open(name) != 0 || !f.StartsLike(c)) continue;
      return f;
    }
    return std::nullopt;
  }

  Status Checkpoint(const LogCursor& c) {
    std::string enc = c.Encode();
    if (enc == last_) return Status::OK();
    last_ = enc;
    return ev_.checkpoint(c);
  }

  // Reads `f` from the position `from` names (its offset, line count and
  // key; its inode may be another name's); returns whether it was read to its
  // end (false when the read limit stopped it). `final`: the file will not
  // grow, so a last line without a newline is emitted too.
  Result<bool> Read(LogFile& f, const LogCursor& from, bool final) {
    LogCursor at = from;
    at.inode = f.inode;
    const int64_t offset = from.offset;
    std::string text;
    bool truncated = false;
    int64_t line_start = offset, pos = offset, since_checkpoint = 0;
    std::vector<char> buf(kChunk);
    bool limited = false;

    auto emit = [&](int64_t next) -> Status {  // the line ends before `next`
      if (at.key.empty()) {
        // The generation is named by its inode and its first bytes: the first
        // line and whatever else of the first KiB exists now (a bare first
        // line, e.g. an empty one, would name many files alike).
        at.key = std::to_string(f.inode) + "-" +
                 (line_start == 0 ? f.PrefixHash(std::min(std::max(next, f.size), kHeadBytes)) : std::string());
      }
      LogLine l{text, truncated, line_start, at.line + 1, f.name, f.inode, at.key};
      FERRY_RETURN_NOT_OK(ev_.line(l));
      budget_ -= next - line_start;
      at.line += 1;
      at.offset = next;
      line_start = next;
      text.clear();
      truncated = false;
      if (++since_checkpoint >= opts_.checkpoint_every) {
        since_checkpoint = 0;
        FERRY_RETURN_NOT_OK(Checkpoint(Fingerprinted(f, at)));
      }
      return Status::OK();
    };

    while (!limited) {
      ssize_t n = f.Read(buf.data(), buf.size(), pos);
      if (n < 0) {
        if (errno == EINTR) continue;
        ev_.warning("reading " + ErrnoMessage(f.name, errno) + "; stopped at offset " + std::to_string(at.offset));
        limited = true;
        break;
      }
      if (n == 0) break;
      std::string_view chunk(buf.data(), static_cast<size_t>(n));
      size_t i = 0;
      while (i < chunk.size()) {
        size_t nl = chunk.find('\n', i);
        size_t end = nl == std::string_view::npos ? chunk.size() : nl;
        size_t room = static_cast<size_t>(std::max<int64_t>(0, opts_.max_line_size - static_cast<int64_t>(text.size())));
        if (end - i > room) truncated = true;
        text.append(chunk.substr(i, std::min(end - i, room)));
        if (nl == std::string_view::npos) break;
        int64_t line_end = pos + static_cast<int64_t>(nl);
        FERRY_RETURN_NOT_OK(emit(line_end + 1));
        i = nl + 1;
        if (budget_ <= 0) {
          limited = true;
          break;
        }
      }
      pos += limited ? 0 : n;
    }
    if (!limited && final && pos > line_start) FERRY_RETURN_NOT_OK(emit(pos));
    if (limited && budget_ <= 0)
      ev_.warning(path_ + ": read limit reached at offset " + std::to_string(at.offset) + " of " + f.name +
                  "; the rest follows in the next sync");
    FERRY_RETURN_NOT_OK(Checkpoint(Fingerprinted(f, at)));
    return !limited;
  }

  const std::string& path_;
  const FollowOptions& opts_;
  const FollowEvents& ev_;
  int64_t budget_;
  std::string last_;  // the cursor last checkpointed (or the starting one)
};

}  // namespace

std::string LogCursor::Encode() const {
  nlohmann::json j = {{"inode", inode}, {"offset", offset},     {"line", line},
                      {"head_len", head_len}, {"head", head}, {"key", key}};
  return j.dump();
}

Result<LogCursor> LogCursor::Decode(const std::string& text) {
  nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  auto bad = [&]() {
    return Status::Invalid("log cursor \"" + text.substr(0, 200) +
                           "\" is not one Ferry wrote; reset it with `ferry state reset`");
  };
  if (!j.is_object()) return bad();
  LogCursor c;
  try {
    c.inode = j.at("inode").get<uint64_t>();
    c.offset = j.at("offset").get<int64_t>();
    c.line = j.at("line").get<int64_t>();
    c.head_len = j.value("head_len", int64_t{0});
    c.head = j.value("head", "");
    c.key = j.value("key", "");
  } catch (const nlohmann::json::exception&) {
    return bad();
  }
  if (c.offset < 0 || c.line < 0 || c.head_len < 0 || c.head_len > c.offset) return bad();
  return c;
}

Status FollowLog(const std::string& path, const std::optional<LogCursor>& cursor, const FollowOptions& options,
                 const FollowEvents& events) {
  Follower f(path, options, events, cursor);
  return f.Run(cursor);
}

}  // namespace ferry::plugins::host
