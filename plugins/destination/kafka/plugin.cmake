# librdkafka (Debian librdkafka-dev: the C API lives in rdkafka) and zlib for
# CloudQuery's per-message gzip.
find_package(PkgConfig REQUIRED)
pkg_check_modules(RDKAFKA REQUIRED IMPORTED_TARGET rdkafka)
set(FERRY_PLUGIN_DEPS PkgConfig::RDKAFKA ZLIB::ZLIB)
