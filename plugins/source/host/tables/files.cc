// host_files: files matched by the configured globs, with their metadata and
// optionally their sha256.
#include <fcntl.h>
#include <glob.h>
#include <openssl/evp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <set>

#include "plugins/source/host/tables/tables.h"
#include "plugins/source/host/util/files.h"
#include "plugins/source/host/util/text.h"

namespace ferry::plugins::host {

namespace {

const char* TypeName(mode_t m) {
  if (S_ISREG(m)) return "file";
  if (S_ISDIR(m)) return "directory";
  if (S_ISLNK(m)) return "symlink";
  if (S_ISSOCK(m)) return "socket";
  if (S_ISFIFO(m)) return "fifo";
  if (S_ISCHR(m)) return "char_device";
  if (S_ISBLK(m)) return "block_device";
  return "unknown";
}

// sha256 of a regular file as lowercase hex; returns 0 or an errno.
int Sha256File(const std::string& path, std::string* hex) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK);
  if (fd < 0) return errno;
  EVP_MD_CTX* md = EVP_MD_CTX_new();
  int err = 0;
  if (!md || EVP_DigestInit_ex(md, EVP_sha256(), nullptr) != 1) err = ENOMEM;
  std::vector<char> buf(1 << 16);
  while (err == 0) {
    ssize_t n = ::read(fd, buf.data(), buf.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) err = errno;
    if (n <= 0) break;
    EVP_DigestUpdate(md, buf.data(), static_cast<size_t>(n));
  }
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (err == 0 && EVP_DigestFinal_ex(md, out, &len) != 1) err = EIO;
  EVP_MD_CTX_free(md);
  ::close(fd);
  if (err != 0) return err;
  static const char* kHex = "0123456789abcdef";
  hex->clear();
  for (unsigned int i = 0; i < len; ++i) {
    hex->push_back(kHex[out[i] >> 4]);
    hex->push_back(kHex[out[i] & 15]);
  }
  return 0;
}

std::vector<std::string> Glob(const std::string& pattern) {
  std::vector<std::string> out;
  glob_t g{};
  if (::glob(pattern.c_str(), 0, nullptr, &g) == 0)
    for (size_t i = 0; i < g.gl_pathc; ++i) out.emplace_back(g.gl_pathv[i]);
  ::globfree(&g);
  return out;
}

class FileLister {
 public:
  FileLister(const Spec& spec, const sdk::ResolveContext& ctx, sdk::RowWriter& w)
      : spec_(spec), ctx_(ctx), w_(w), accounts_(Accounts::Load()) {}

  Status Run() {
    for (const auto& p : spec_.files) {
      if (Full()) break;
      const std::string suffix = "/**";
      const bool recursive = p.pattern.size() > suffix.size() &&
                             p.pattern.compare(p.pattern.size() - suffix.size(), suffix.size(), suffix) == 0;
      const std::string base = recursive ? p.pattern.substr(0, p.pattern.size() - suffix.size()) : p.pattern;
      std::vector<std::string> matches = Glob(base);
      if (matches.empty()) skips_.Add("patterns that matched no file", p.pattern);
      for (const auto& m : matches) {
        if (Full()) break;
        FERRY_RETURN_NOT_OK(Add(m, p));
        if (recursive) FERRY_RETURN_NOT_OK(Walk(m, p));
      }
    }
    if (Full()) skips_.Add("files not listed because files.max_files was reached", std::to_string(spec_.max_files));
    skips_.Report(ctx_, kFiles);
    return Status::OK();
  }

 private:
  bool Full() const { return static_cast<int64_t>(seen_.size()) >= spec_.max_files; }

  Status Walk(const std::string& dir, const FilePattern& p) {
    namespace fs = std::filesystem;
    std::error_code ec;
    fs::recursive_directory_iterator it(dir, fs::directory_options::skip_permission_denied, ec), end;
    if (ec) return Status::OK();  // not a directory
    for (; it != end && !Full(); it.increment(ec)) {
      if (ec) {
        skips_.Add("directories not fully listed", ErrnoMessage(dir, ec.value()));
        break;
      }
      FERRY_RETURN_NOT_OK(Add(it->path().string(), p));
    }
    return Status::OK();
  }

  Status Add(const std::string& path, const FilePattern& p) {
    if (Full() || !seen_.insert(path).second) return Status::OK();
    struct stat st;
    if (::lstat(path.c_str(), &st) != 0) {
      if (!IsGone(errno)) skips_.Add("files not readable", ErrnoMessage(path, errno));
      return Status::OK();
    }
    std::string link;
    if (S_ISLNK(st.st_mode) && ReadLink(path, &link) != 0) link.clear();
    Value sha = Value::Null();
    if (p.hash && S_ISREG(st.st_mode)) {
      if (st.st_size > spec_.max_hash_size) {
        skips_.Add("files not hashed because they are larger than files.max_hash_size", path);
      } else {
        std::string hex;
        int err = Sha256File(path, &hex);
        if (err == 0) sha = Value::String(hex);
        else skips_.Add("files not hashed because they are not readable", ErrnoMessage(path, err));
      }
    }
    char mode[8];
    std::snprintf(mode, sizeof(mode), "%04o", static_cast<unsigned>(st.st_mode & 07777));
    Row row{
        Value::String(ToValidUtf8(path)),
        Value::String(p.pattern),
        Value::String(TypeName(st.st_mode)),
        Value::Int(static_cast<int64_t>(st.st_size)),
        Value::String(mode),
        Value::Int(st.st_uid),
        Value::Int(st.st_gid),
        OptString(accounts_.User(st.st_uid)),
        OptString(accounts_.Group(st.st_gid)),
        Value::Int(TimespecMicros(st.st_mtim.tv_sec, st.st_mtim.tv_nsec)),
        Value::Int(TimespecMicros(st.st_ctim.tv_sec, st.st_ctim.tv_nsec)),
        Value::Int(TimespecMicros(st.st_atim.tv_sec, st.st_atim.tv_nsec)),
        Value::Int(static_cast<int64_t>(st.st_ino)),
        Value::Int(static_cast<int64_t>(st.st_nlink)),
        OptString(ToValidUtf8(link)),
        std::move(sha),
    };
    return w_.Write(std::move(row));
  }

  const Spec& spec_;
  const sdk::ResolveContext& ctx_;
  sdk::RowWriter& w_;
  Accounts accounts_;
  Skips skips_;
  std::set<std::string> seen_;
};

}  // namespace

sdk::TableDef FilesTable(SpecPtr spec) {
  sdk::TableDef t;
  t.schema.name = kFiles;
  t.schema.title = "Host files";
  t.schema.description =
      "Files matched by the globs of the `files` option (default /etc/*; a trailing /** lists a directory "
      "recursively) with type, size, mode, owner and times; sha256 where hashing is enabled. Symlinks are not "
      "followed. At most files.max_files rows.";
  t.schema.columns = {
      Col("path", types::Utf8(), "Absolute path", true),
      Col("pattern", types::Utf8(), "The configured glob that matched it"),
      Col("type", types::Utf8(), "file, directory, symlink, socket, fifo, char_device or block_device"),
      Col("size_bytes", types::Int64(), "Size in bytes"),
      Col("mode", types::Utf8(), "Permission bits in octal, with setuid/setgid/sticky, e.g. 0644"),
      Col("uid", types::Int64(), "Owner user ID"),
      Col("gid", types::Int64(), "Owner group ID"),
      Col("owner", types::Utf8(), "Owner user name"),
      Col("group_name", types::Utf8(), "Owner group name"),
      Col("modified_time", types::Timestamp(), "Last content change (mtime)"),
      Col("changed_time", types::Timestamp(), "Last metadata change (ctime)"),
      Col("accessed_time", types::Timestamp(), "Last access (atime)"),
      Col("inode", types::Int64(), "Inode number"),
      Col("hard_links", types::Int64(), "Number of hard links"),
      Col("symlink_target", types::Utf8(), "Target of a symlink"),
      Col("sha256", types::Utf8(), "SHA-256 of a regular file's content, when hashing is enabled for its pattern"),
  };
  t.resolve = [spec](const sdk::ResolveContext& ctx, sdk::RowWriter& w) { return FileLister(*spec, ctx, w).Run(); };
  return t;
}

}  // namespace ferry::plugins::host
