# OpenSSL for bolt+s:// and neo4j+s:// (the socket is plugins/common/tcp_socket.h).
set(FERRY_PLUGIN_DEPS OpenSSL::SSL OpenSSL::Crypto)
