# OpenSSL for bolt+s:// and neo4j+s:// (the Bolt client is Ferry's own).
set(FERRY_PLUGIN_DEPS OpenSSL::SSL OpenSSL::Crypto)
