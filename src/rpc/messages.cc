#include "rpc/messages.h"

#include "ferry/builder.h"
#include "ferry/text_codec.h"
#include "protocol/arrow_ipc.h"
#include "rpc/channel.h"
#include "rpc/record_split.h"

namespace ferry::rpc {

template <typename M>
Result<ferry::DeleteRecord> DecodeDeleteRecord(const M& m) {
  ferry::DeleteRecord out;
  out.table_name = m.table_name();
  for (const auto& g : m.where_clause()) {
    DeletePredicateGroup group;
    group.grouping = g.grouping_type() == pb::PredicatesGroup::OR ? DeletePredicateGroup::Grouping::kOr
                                                                  : DeletePredicateGroup::Grouping::kAnd;
    for (const auto& p : g.predicates()) {
      auto value = protocol::DecodeRecordStream(p.record());
      if (!value.ok())
        return value.status().WithContext("delete_record for table " + m.table_name() + ", column " + p.column());
      if ((*value)->num_rows() != 1 || (*value)->columns().size() != 1)
        return Status::Invalid("delete_record for table " + m.table_name() + ": the value for column " +
                               p.column() + " must be 1 row and 1 column, got " +
                               std::to_string((*value)->num_rows()) + " rows and " +
                               std::to_string((*value)->columns().size()) + " columns");
      group.predicates.push_back(DeletePredicate{p.column(), GetValue(*(*value)->column(0), 0)});
    }
    out.where.push_back(std::move(group));
  }
  return out;
}

template <typename M>
Status EncodeDeleteRecord(const ferry::DeleteRecord& del, const TableSchema& table, M* m) {
  m->set_table_name(del.table_name);
  for (const auto& g : del.where) {
    auto* pg = m->add_where_clause();
    pg->set_grouping_type(g.grouping == DeletePredicateGroup::Grouping::kOr ? pb::PredicatesGroup::OR
                                                                             : pb::PredicatesGroup::AND);
    for (const auto& p : g.predicates) {
      const Column* col = nullptr;
      for (const auto& c : table.columns)
        if (c.name == p.column) col = &c;
      if (!col) return Status::Invalid("delete_record on " + del.table_name + ": no column " + p.column);
      auto one = std::make_shared<TableSchema>();
      one->name = del.table_name;
      one->columns = {*col};
      one->columns[0].primary_key = one->columns[0].unique = one->columns[0].not_null = false;
      BatchBuilder b(one);
      FERRY_RETURN_NOT_OK(b.AppendRow({p.value}).WithContext("delete_record on " + del.table_name));
      FERRY_ASSIGN_OR_RETURN(std::string record, protocol::EncodeRecordStream(*b.Finish()));
      auto* pp = pg->add_predicates();
      pp->set_operator_(pb::Predicate::EQ);
      pp->set_column(p.column);
      pp->set_record(std::move(record));
    }
  }
  return Status::OK();
}

template Result<ferry::DeleteRecord> DecodeDeleteRecord(const pb::Sync::MessageDeleteRecord&);
template Result<ferry::DeleteRecord> DecodeDeleteRecord(const pb::Write::MessageDeleteRecord&);
template Status EncodeDeleteRecord(const ferry::DeleteRecord&, const TableSchema&, pb::Sync::MessageDeleteRecord*);
template Status EncodeDeleteRecord(const ferry::DeleteRecord&, const TableSchema&, pb::Write::MessageDeleteRecord*);

Status SendStateRows(const TableSchemaPtr& table, const std::vector<StateEntry>& entries,
                     grpc::ServerWriter<pb::Read::Response>* writer) {
  FERRY_ASSIGN_OR_RETURN(BatchPtr rows, StateBatch(table, entries));
  return EncodeRecords(*rows, kMaxSendBytes, [&](std::string record) {
    pb::Read::Response resp;
    resp.set_record(std::move(record));
    return writer->Write(resp) ? Status::OK() : Status::Cancelled("the client closed the Read stream");
  });
}

int64_t TimestampMicros(const google::protobuf::Timestamp& t) {
  return t.seconds() * 1000000 + FloorDiv(t.nanos(), 1000);
}

void SetTimestampMicros(int64_t us, google::protobuf::Timestamp* t) {
  const int64_t secs = FloorDiv(us, 1000000);
  t->set_seconds(secs);
  t->set_nanos(static_cast<int32_t>((us - secs * 1000000) * 1000));
}

}  // namespace ferry::rpc
