set(FERRY_PLUGIN_DEPS PostgreSQL::PostgreSQL)
