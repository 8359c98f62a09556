#include "profile/pareto.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "zoo/segments.h"

namespace sl {

Result<ParetoResult> ComputePareto(const Profile& profile, const std::string& task, int processor) {
  int t = profile.FindTask(task);
  if (t < 0) {
    std::string list;
    for (const TaskProfile& tp : profile.tasks) list += (list.empty() ? "" : ", ") + tp.task;
    return NotFound("profile has no task '" + task + "' (tasks: " + list + ")");
  }
  if (processor < 0 || processor >= static_cast<int>(profile.processors.size()))
    return OutOfRange("processor index " + std::to_string(processor) + " out of range");
  const TaskProfile& tp = profile.tasks[t];
  const int n = tp.num_variants(), k = tp.num_segments;
  ParetoResult r;
  r.task = task;
  r.processor = profile.processors[processor].name;
  const std::vector<int> placement(k, processor);
  std::vector<int64_t> plain(n);
  for (int v = 0; v < n; ++v) plain[v] = StitchIndex(Stitch(k, v), n);
  for (int64_t s = 0; s < tp.num_stitches(); ++s) {
    double acc = tp.accuracy.stitches[s];
    if (!std::isfinite(acc)) continue;
    SL_ASSIGN_OR_RETURN(double lat,
                        profile.PredictLatencyUs(task, StitchFromIndex(s, n, k), placement));
    ParetoPoint p;
    p.stitch = s;
    p.accuracy = acc;
    p.latency_us = lat;
    p.original = std::find(plain.begin(), plain.end(), s) != plain.end();
    r.points.push_back(p);
  }
  for (int v = 0; v < n; ++v)
    for (size_t i = 0; i < r.points.size(); ++i)
      if (r.points[i].stitch == plain[v]) r.originals.push_back(i);
  // Front: by latency (ties: more accurate first), keep points more accurate than all faster ones.
  std::vector<size_t> order(r.points.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    if (r.points[a].latency_us != r.points[b].latency_us)
      return r.points[a].latency_us < r.points[b].latency_us;
    return r.points[a].accuracy > r.points[b].accuracy;
  });
  double best = -1;
  for (size_t i : order) {
    if (r.points[i].accuracy > best) {
      best = r.points[i].accuracy;
      r.points[i].on_front = true;
      r.front.push_back(i);
    }
  }
  for (ParetoPoint& p : r.points) {
    if (p.original) continue;
    bool dominated = false;
    for (size_t o : r.originals) {
      const ParetoPoint& q = r.points[o];
      dominated = dominated || (q.accuracy >= p.accuracy && q.latency_us <= p.latency_us);
    }
    p.improving = !dominated;
    r.improving += p.improving;
    r.improving_on_front += p.improving && p.on_front;
  }
  return r;
}

namespace {

std::string Escape(const std::string& s) {
  std::string o;
  for (char c : s) {
    if (c == '<')
      o += "&lt;";
    else if (c == '>')
      o += "&gt;";
    else if (c == '&')
      o += "&amp;";
    else
      o += c;
  }
  return o;
}

}  // namespace

std::string ParetoSvg(const ParetoResult& r, const TaskProfile& task) {
  const double w = 820, h = 520, left = 70, right = 190, top = 40, bottom = 55;
  double lx = 1e300, hx = -1e300, ly = 1e300, hy = -1e300;
  for (const ParetoPoint& p : r.points) {
    lx = std::min(lx, p.latency_us);
    hx = std::max(hx, p.latency_us);
    ly = std::min(ly, p.accuracy);
    hy = std::max(hy, p.accuracy);
  }
  if (r.points.empty()) lx = ly = 0, hx = hy = 1;
  if (hx - lx < 1e-9) hx = lx + 1;
  if (hy - ly < 1e-9) hy = ly + 0.01;
  const double px = 0.04 * (hx - lx), py = 0.04 * (hy - ly);
  lx -= px, hx += px, ly -= py, hy += py;
  auto X = [&](double v) { return left + (v - lx) / (hx - lx) * (w - left - right); };
  auto Y = [&](double a) { return h - bottom - (a - ly) / (hy - ly) * (h - top - bottom); };
  std::string s;
  char buf[512];
  auto add = [&](const char* fmt, auto... args) {
    std::snprintf(buf, sizeof buf, fmt, args...);
    s += buf;
  };
  add("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" "
      "font-family=\"sans-serif\" font-size=\"12\">\n",
      w, h);
  add("<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n");
  add("<text x=\"%.0f\" y=\"22\" font-size=\"15\">%s on %s: %zu stitches, %lld Pareto-improving "
      "over the %zu originals</text>\n",
      left, Escape(r.task).c_str(), Escape(r.processor).c_str(), r.points.size(),
      static_cast<long long>(r.improving), r.originals.size());
  add("<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"none\" "
      "stroke=\"#444\"/>\n",
      left, top, w - left - right, h - top - bottom);
  for (int i = 0; i <= 5; ++i) {
    double vx = lx + (hx - lx) * i / 5, vy = ly + (hy - ly) * i / 5;
    add("<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%.0f</text>\n", X(vx), h - bottom + 16,
        vx);
    add("<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%.1f</text>\n", left - 6, Y(vy) + 4,
        100 * vy);
  }
  add("<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">predicted latency (us, batch 1)</text>\n",
      (left + w - right) / 2, h - 12);
  add("<text x=\"16\" y=\"%.1f\" transform=\"rotate(-90 16 %.1f)\" text-anchor=\"middle\">"
      "validation accuracy (%%)</text>\n",
      (top + h - bottom) / 2, (top + h - bottom) / 2);
  for (const ParetoPoint& p : r.points)
    if (!p.original)
      add("<circle cx=\"%.1f\" cy=\"%.1f\" r=\"2.2\" fill=\"%s\" fill-opacity=\"0.6\"/>\n",
          X(p.latency_us), Y(p.accuracy), p.improving ? "#f28e2b" : "#9a9a9a");
  s += "<polyline fill=\"none\" stroke=\"#1f77b4\" stroke-width=\"1.5\" points=\"";
  for (size_t i : r.front) add("%.1f,%.1f ", X(r.points[i].latency_us), Y(r.points[i].accuracy));
  s += "\"/>\n";
  for (size_t j = 0; j < r.originals.size(); ++j) {
    const ParetoPoint& p = r.points[r.originals[j]];
    add("<rect x=\"%.1f\" y=\"%.1f\" width=\"7\" height=\"7\" fill=\"#d62728\"/>\n",
        X(p.latency_us) - 3.5, Y(p.accuracy) - 3.5);
    const std::string& name = j < task.variants.size() ? task.variants[j] : "";
    add("<text x=\"%.1f\" y=\"%.1f\" font-size=\"10\" fill=\"#d62728\">%s</text>\n",
        X(p.latency_us) + 6, Y(p.accuracy) - 4, Escape(name).c_str());
  }
  double ly0 = top + 10;
  add("<circle cx=\"%.0f\" cy=\"%.0f\" r=\"4\" fill=\"#9a9a9a\"/><text x=\"%.0f\" "
      "y=\"%.0f\">stitch</text>\n",
      w - right + 20, ly0, w - right + 30, ly0 + 4);
  add("<circle cx=\"%.0f\" cy=\"%.0f\" r=\"4\" fill=\"#f28e2b\"/><text x=\"%.0f\" "
      "y=\"%.0f\">Pareto-improving</text>\n",
      w - right + 20, ly0 + 20, w - right + 30, ly0 + 24);
  add("<rect x=\"%.0f\" y=\"%.0f\" width=\"7\" height=\"7\" fill=\"#d62728\"/><text x=\"%.0f\" "
      "y=\"%.0f\">original variant</text>\n",
      w - right + 16.5, ly0 + 36.5, w - right + 30, ly0 + 44);
  add("<line x1=\"%.0f\" y1=\"%.0f\" x2=\"%.0f\" y2=\"%.0f\" stroke=\"#1f77b4\" "
      "stroke-width=\"1.5\"/><text x=\"%.0f\" y=\"%.0f\">front</text>\n",
      w - right + 14, ly0 + 60, w - right + 26, ly0 + 60, w - right + 30, ly0 + 64);
  s += "</svg>\n";
  return s;
}

}  // namespace sl
