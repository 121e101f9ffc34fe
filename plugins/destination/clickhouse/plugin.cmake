# libcurl + zlib: the HTTP interface (gzip bodies); liblz4 + libzstd: compressed
# blocks of the native protocol (Debian's liblz4-dev, libzstd-dev; no CMake config).
set(FERRY_PLUGIN_DEPS CURL::libcurl ZLIB::ZLIB lz4 zstd)
