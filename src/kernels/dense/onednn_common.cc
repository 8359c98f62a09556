#include "kernels/dense/onednn_common.h"

#include <omp.h>

namespace sl::dense {

const dnnl::engine& CpuEngine() {
  static const dnnl::engine engine(dnnl::engine::kind::cpu, 0);
  return engine;
}

void AppendActivation(const FusedActivation& act, dnnl::post_ops& ops) {
  if (act.kind == FusedActivation::Kind::kRelu) {
    ops.append_eltwise(1.f, dnnl::algorithm::eltwise_relu, 0.f, 0.f);
  } else if (act.kind == FusedActivation::Kind::kClip) {
    ops.append_eltwise(1.f, dnnl::algorithm::eltwise_clip, act.min, act.max);
  }
}

std::string DescribeNode(const KernelRequest& req) {
  return req.graph.source + ": " + req.graph.Describe(req.node);
}

Status FromDnnlError(const KernelRequest& req, const char* what, const std::exception& e) {
  return Unsupported(DescribeNode(req) + ": oneDNN: " + what + ": " + e.what());
}

void SetNumThreads(int num_threads) { omp_set_num_threads(num_threads > 0 ? num_threads : 1); }

Status Run(const BoundPrimitive& p, const dnnl::stream& stream) {
  dnnl_status_t st = dnnl_primitive_execute(p.primitive, stream.get(),
                                            static_cast<int>(p.args.size()), p.args.data());
  if (st == dnnl_success) st = dnnl_stream_wait(stream.get());
  if (st != dnnl_success) {
    return Internal("oneDNN primitive execution failed with status " + std::to_string(st));
  }
  return Status::Ok();
}

dnnl::memory::desc PlainDesc(const dnnl::memory::dims& dims) {
  dnnl::memory::dims strides(dims.size(), 1);
  for (int i = static_cast<int>(dims.size()) - 2; i >= 0; --i) {
    strides[i] = strides[i + 1] * std::max<dnnl::memory::dim>(dims[i + 1], 1);
  }
  return dnnl::memory::desc(dims, dnnl::memory::data_type::f32, strides);
}

dnnl::memory ReorderToNew(const dnnl::memory::desc& src_md, const void* src,
                          const dnnl::memory::desc& dst_md) {
  const dnnl::engine& engine = CpuEngine();
  dnnl::memory src_mem(src_md, engine, const_cast<void*>(src));
  dnnl::memory dst_mem(dst_md, engine);
  dnnl::stream stream(engine);
  dnnl::reorder(src_mem, dst_mem).execute(stream, src_mem, dst_mem);
  stream.wait();
  return dst_mem;
}

}  // namespace sl::dense
