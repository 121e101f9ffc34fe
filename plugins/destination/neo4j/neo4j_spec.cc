#include "plugins/destination/neo4j/neo4j_spec.h"

#include <cstdlib>

#include "ferry/option_binder.h"

namespace ferry::plugins::neo4j {
namespace {

using json = nlohmann::json;

Status ParseEdges(const json& v, Spec* s) {
  if (v.is_null()) return Status::OK();
  if (v.is_object()) return ParseEdges(json::array({v}), s);  // a single object counts as a list of one
  if (!v.is_array()) return Status::Invalid("edges: expected a list of {from_table, from_column, to_table, to_column, type}");
  for (size_t i = 0; i < v.size(); ++i) {
    const json& e = v[i];
    const std::string where = "edges[" + std::to_string(i) + "]";
    if (!e.is_object()) return Status::Invalid(where + ": expected a mapping");
    EdgeRule r;
    for (auto& [k, val] : e.items()) {
      if (!val.is_string() || val.get<std::string>().empty())
        return Status::Invalid(where + "." + k + ": expected a non-empty string");
      const std::string x = val.get<std::string>();
      if (k == "from_table") r.from_table = x;
      else if (k == "from_column") r.from_column = x;
      else if (k == "to_table") r.to_table = x;
      else if (k == "to_column") r.to_column = x;
      else if (k == "type") r.type = x;
      else
        return Status::Invalid(where + ": unknown key \"" + k +
                               "\" (keys: from_table, from_column, to_table, to_column, type)");
    }
    for (const auto& [k, val] : {std::pair<const char*, std::string*>{"from_table", &r.from_table},
                                 {"from_column", &r.from_column}, {"to_table", &r.to_table}, {"to_column", &r.to_column},
                                 {"type", &r.type}})
      if (val->empty()) return Status::Invalid(where + ": missing \"" + k + "\"");
    s->edges.push_back(std::move(r));
  }
  return Status::OK();
}

void Declare(OptionBinder<Spec>& b) {
  b.String(&Spec::connection_string,
           {.name = "connection_string",
            .description = "The server: bolt://host:7687 (direct), neo4j://host:7687 (routing to the cluster's "
                           "writer); +s for TLS with a verified certificate (bolt+s, neo4j+s), +ssc for TLS that "
                           "accepts any certificate. The port defaults to 7687",
            .required = true});
  b.String(&Spec::username,
           {.name = "username",
            .default_value = "",
            .description = "User for basic authentication. Empty: no authentication (a server with auth disabled)"});
  b.String(&Spec::password,
           {.name = "password", .default_value = "", .description = "Password of username", .secret = true});
  b.String(&Spec::database,
           {.name = "database",
            .default_value = "",
            .description = "Ferry: the database to write to; empty for the user's home database (as CloudQuery)"});
  b.String(&Spec::label_prefix,
           {.name = "label_prefix",
            .default_value = "",
            .description = "Ferry: put in front of every node label (CloudQuery labels each node with its table's "
                           "name); e.g. `cq_` gives `cq_aws_ec2_instances`. Several syncs can share one database"});
  b.String(&Spec::tls_ca_file,
           {.name = "tls_ca_file",
            .default_value = "",
            .description = "Ferry: PEM file of the CA(s) that sign the server's certificate, for bolt+s:// and "
                           "neo4j+s://; empty: the system's trust store"});
  b.Duration(&Spec::connect_timeout_ms,
             {.name = "connect_timeout", .default_value = "15s", .description = "Ferry: TCP and TLS connect timeout"});
  b.Duration(&Spec::io_timeout_ms,
             {.name = "io_timeout",
              .default_value = "5m",
              .description = "Ferry: a request waiting longer than this for the server fails (and is retried)"});
  b.Bool(&Spec::relationships,
         {.name = "relationships",
          .default_value = true,
          .description = "Ferry: link each row of a child table to its parent's node, "
                         "(child)-[:<relationship_type>]->(parent), through _cq_parent_id = the parent's _cq_id "
                         "(CloudQuery writes nodes only)"});
  b.String(&Spec::relationship_type,
           {.name = "relationship_type",
            .default_value = "CHILD_OF",
            .description = "Ferry: the type of the relationships between child and parent tables' nodes"});
  b.Custom({.name = "edges",
            .type = OptionType::kObjectList,
            .description = "Ferry: more relationships, by column: a list of {from_table, from_column, to_table, "
                           "to_column, type}; (a)-[:type]->(b) for every node a of from_table and b of to_table "
                           "with a.from_column = b.to_column"},
           ParseEdges);
  b.Int(&Spec::delete_stale_batch_size,
        {.name = "delete_stale_batch_size",
         .default_value = 10000,
         .description = "Ferry: stale nodes deleted per transaction (CloudQuery deletes a table's in one)",
         .min = 1});
  b.Check([](Spec* s) -> Status {
    FERRY_ASSIGN_OR_RETURN(s->uri, ParseBoltUri(s->connection_string));
    if (s->username.empty() && !s->password.empty())
      return Status::Invalid("password is set but username is empty: set username too (or neither, for a server "
                             "without authentication)");
    if (!s->tls_ca_file.empty() && s->uri.tls != bolt::TlsMode::kVerify)
      return Status::Invalid("tls_ca_file is set but connection_string (" + s->uri.scheme +
                             "://) does not verify certificates: use bolt+s:// or neo4j+s://");
    if (s->relationship_type.empty()) return Status::Invalid("relationship_type must not be empty");
    return Status::OK();
  });
}

}  // namespace

Result<BoltUri> ParseBoltUri(const std::string& uri) {
  const auto fail = [&](const std::string& why) {
    return Status::Invalid("connection_string \"" + uri + "\": " + why);
  };
  const size_t sep = uri.find("://");
  if (sep == std::string::npos) return fail("expected scheme://host[:port], e.g. bolt://localhost:7687");
  BoltUri u;
  u.scheme = uri.substr(0, sep);
  if (u.scheme == "bolt") {
  } else if (u.scheme == "bolt+s") {
    u.tls = bolt::TlsMode::kVerify;
  } else if (u.scheme == "bolt+ssc") {
    u.tls = bolt::TlsMode::kTrustAny;
  } else if (u.scheme == "neo4j") {
    u.routing = true;
  } else if (u.scheme == "neo4j+s") {
    u.routing = true;
    u.tls = bolt::TlsMode::kVerify;
  } else if (u.scheme == "neo4j+ssc") {
    u.routing = true;
    u.tls = bolt::TlsMode::kTrustAny;
  } else if (u.scheme == "bolt+unix") {
    return fail("bolt+unix:// (Unix sockets) is not supported; use bolt://host:port");
  } else {
    return fail("unknown scheme \"" + u.scheme + "\"; use bolt, bolt+s, bolt+ssc, neo4j, neo4j+s or neo4j+ssc");
  }
  std::string rest = uri.substr(sep + 3);
  std::string query;
  if (size_t q = rest.find('?'); q != std::string::npos) {
    query = rest.substr(q + 1);
    rest = rest.substr(0, q);
  }
  if (!rest.empty() && rest.back() == '/') rest.pop_back();
  if (rest.find('/') != std::string::npos) return fail("a path is not allowed; name the database with `database:`");
  if (rest.find('@') != std::string::npos) return fail("put credentials in username and password, not in the URI");
  std::string port;
  if (!rest.empty() && rest[0] == '[') {  // [IPv6]:port
    size_t close = rest.find(']');
    if (close == std::string::npos) return fail("unclosed '[' in the host");
    u.host = rest.substr(1, close - 1);
    if (close + 1 < rest.size()) {
      if (rest[close + 1] != ':') return fail("expected ':' after ']'");
      port = rest.substr(close + 2);
    }
  } else if (size_t colon = rest.rfind(':'); colon != std::string::npos) {
    u.host = rest.substr(0, colon);
    port = rest.substr(colon + 1);
  } else {
    u.host = rest;
  }
  if (u.host.empty()) return fail("no host");
  if (!port.empty()) {
    char* end = nullptr;
    long p = std::strtol(port.c_str(), &end, 10);
    if (*end != '\0' || p < 1 || p > 65535) return fail("port \"" + port + "\" is not a number in 1..65535");
    u.port = static_cast<int>(p);
  }
  if (!query.empty()) {
    if (!u.routing) return fail("query parameters (a routing context) need a neo4j:// scheme");
    size_t pos = 0;
    while (pos <= query.size()) {
      size_t amp = query.find('&', pos);
      std::string kv = query.substr(pos, amp == std::string::npos ? std::string::npos : amp - pos);
      size_t eq = kv.find('=');
      if (eq == std::string::npos || eq == 0) return fail("query parameter \"" + kv + "\" is not key=value");
      if (kv.substr(0, eq) == "address") return fail("the routing context may not set \"address\"");
      u.query.emplace_back(kv.substr(0, eq), kv.substr(eq + 1));
      if (amp == std::string::npos) break;
      pos = amp + 1;
    }
  }
  return u;
}

const OptionTable& SpecOptions() { return BinderOf<Spec>(Declare).table(); }

Result<Spec> ParseSpec(const Options& options) { return BinderOf<Spec>(Declare).Parse(options); }

}  // namespace ferry::plugins::neo4j
