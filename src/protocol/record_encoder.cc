// Batch -> RecordBatch nodes, buffers and body (see record_codec.h).
#include <cstring>
#include <string>

#include "protocol/ipc_framing.h"
#include "protocol/record_codec.h"

namespace ferry::protocol::ipc {

namespace fb = arrowfb;

namespace {

class BodyPlanner {
 public:
  explicit BodyPlanner(EncodedBody* out) : out_(out) {}

  // Rows [start, start + len) of `a`, relative to its logical start.
  Status Encode(const ArrayData& a, int64_t start, int64_t len, const std::string& path) {
    auto fail = [&](const std::string& m) { return Status::Invalid("arrow ipc: encoding " + path + ": " + m); };
    const int64_t p = a.offset + start;
    const Buffer* validity = a.buffers.empty() ? nullptr : a.buffers[0].get();
    int64_t nulls = 0;
    if (a.null_count > 0 && validity && len > 0) {
      if (validity->size() * 8 < p + len) return fail("validity bitmap too short");
      if (start == 0 && len == a.length) {
        nulls = a.null_count;
      } else {
        for (int64_t i = 0; i < len; ++i) nulls += !GetBit(validity->data(), p + i);
      }
    }
    out_->nodes.emplace_back(len, nulls);
    if (nulls == 0) AddRef(nullptr, 0);
    else AddBits(validity->data(), p, len);

    const Buffer* b1 = a.buffers.size() > 1 ? a.buffers[1].get() : nullptr;
    switch (LayoutOf(a.type->id)) {
      case Layout::kBitmap:
        if (len == 0) {
          AddRef(nullptr, 0);
          break;
        }
        if (!b1 || b1->size() * 8 < p + len) return fail("bool values too short");
        AddBits(b1->data(), p, len);
        break;
      case Layout::kFixedWidth:
      case Layout::kFixedBinary: {
        const int64_t w = FixedWidthOf(*a.type);
        if (len == 0) {
          AddRef(nullptr, 0);
          break;
        }
        if (w <= 0 || !b1 || b1->size() < (p + len) * w) return fail("values buffer too short");
        AddRef(b1->data() + p * w, len * w);
        break;
      }
      case Layout::kVarBinary:
      case Layout::kList: {
        const bool is_list = LayoutOf(a.type->id) == Layout::kList;
        int32_t begin = 0, end = 0;
        if (len == 0) {
          out_->owned.emplace_back(4, '\0');
          AddRef(out_->owned.back().data(), 4);
        } else {
          if (!b1 || b1->size() < (p + len + 1) * 4) return fail("offsets buffer too short");
          const int32_t* offs = b1->as<int32_t>() + p;
          begin = offs[0];
          end = offs[len];
          if (begin < 0 || end < begin) return fail("offsets not monotonic");
          AddOffsets(offs, len);
        }
        if (!is_list) {
          const Buffer* data = a.buffers.size() > 2 ? a.buffers[2].get() : nullptr;
          if (end > 0 && (!data || data->size() < end)) return fail("data buffer too short");
          AddRef(end > begin ? data->data() + begin : nullptr, end - begin);
        } else {
          if (a.children.size() != 1 || !a.children[0]) return fail("list without one child");
          if (a.children[0]->length < end) return fail("list offsets past the end of the child");
          FERRY_RETURN_NOT_OK(Encode(*a.children[0], begin, end - begin, path + ".item"));
        }
        break;
      }
      case Layout::kStruct:
        if (a.children.size() != a.type->children.size()) return fail("struct child count mismatch");
        for (size_t k = 0; k < a.children.size(); ++k) {
          // Ferry's struct children are already sliced with their parent:
          // child row i is struct row i.
          if (!a.children[k] || a.children[k]->length < start + len) return fail("struct child too short");
          FERRY_RETURN_NOT_OK(Encode(*a.children[k], start, len, path + "." + a.type->children[k].name));
        }
        break;
    }
    return Status::OK();
  }

 private:
  void AddRef(const void* data, int64_t size) {
    out_->buffers.emplace_back(out_->size, size);
    out_->pieces.emplace_back(size > 0 ? static_cast<const char*>(data) : "", static_cast<size_t>(size));
    out_->size += PadTo8(size);
  }
  // Bits [p, p + len) of `bits` as a bitmap starting at bit 0.
  void AddBits(const uint8_t* bits, int64_t p, int64_t len) {
    const int64_t bytes = (len + 7) / 8;
    if (p % 8 == 0) {
      AddRef(bits + p / 8, bytes);
      return;
    }
    std::string& s = out_->owned.emplace_back(static_cast<size_t>(bytes), '\0');
    for (int64_t i = 0; i < len; ++i)
      if (GetBit(bits, p + i)) s[i >> 3] = static_cast<char>(s[i >> 3] | (1 << (i & 7)));
    AddRef(s.data(), bytes);
  }
  // len + 1 offsets, re-based to start at 0 unless they already do.
  void AddOffsets(const int32_t* offs, int64_t len) {
    const int64_t bytes = (len + 1) * 4;
    if (offs[0] == 0) {
      AddRef(offs, bytes);
      return;
    }
    std::string& s = out_->owned.emplace_back(static_cast<size_t>(bytes), '\0');
    for (int64_t i = 0; i <= len; ++i) {
      const int32_t v = offs[i] - offs[0];
      std::memcpy(s.data() + i * 4, &v, 4);
    }
    AddRef(s.data(), bytes);
  }

  EncodedBody* out_;
};

}  // namespace

Status PlanBody(const Batch& batch, EncodedBody* out) {
  BodyPlanner planner(out);
  const TableSchema& schema = *batch.schema();
  if (batch.columns().size() != schema.columns.size())
    return Status::Invalid("arrow ipc: batch of " + schema.name + " has " +
                           std::to_string(batch.columns().size()) + " columns, its schema " +
                           std::to_string(schema.columns.size()));
  for (size_t i = 0; i < batch.columns().size(); ++i) {
    const ArrayPtr& c = batch.column(i);
    const std::string path = schema.name + "." + schema.columns[i].name;
    if (!c || c->length != batch.num_rows() || c->offset < 0)
      return Status::Invalid("arrow ipc: encoding " + path + ": column length does not match the row count");
    if (!c->type->Equals(*schema.columns[i].type))
      return Status::Invalid("arrow ipc: encoding " + path + ": column type does not match the schema");
    FERRY_RETURN_NOT_OK(planner.Encode(*c, 0, c->length, path));
  }
  return Status::OK();
}

void AppendBody(const EncodedBody& body, std::string* out) {
  for (std::string_view piece : body.pieces) {
    out->append(piece);
    out->append(static_cast<size_t>(PadTo8(static_cast<int64_t>(piece.size()))) - piece.size(), '\0');
  }
}

}  // namespace ferry::protocol::ipc
