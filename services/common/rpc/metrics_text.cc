#include "services/common/rpc/metrics_text.h"

#include <charconv>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string_view>

#include "services/common/rpc/series_table.h"

namespace carecast::common {

using prometheus::ClientMetric;
using prometheus::MetricFamily;

// As an ostream in the classic locale at precision max_digits10 - 1 writes it
// (printf "%.16g"), with NaN and the infinities spelled as the text format wants.
void AppendMetricValue(std::string& out, double value) {
  if (std::isnan(value)) {
    out += "Nan";
  } else if (std::isinf(value)) {
    out += value < 0 ? "-Inf" : "+Inf";
  } else {
    char buf[32];
    auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), value, std::chars_format::general,
                                   std::numeric_limits<double>::max_digits10 - 1);
    out.append(buf, end);
  }
}

void AppendMetricLabelValue(std::string& out, std::string_view value) {
  for (char c : value) {
    if (c == '\n') {
      out += "\\n";
    } else if (c == '\\' || c == '"') {
      out += '\\';
      out += c;
    } else {
      out += c;
    }
  }
}

namespace {

template <class Int>
void AppendInt(std::string& out, Int value) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), value);
  out.append(buf, end);
}

// Writes a sample line's name and labels, up to the space before the value;
// optionally a further label (quantile, le) after the metric's own.
class Head {
 public:
  Head(std::string& out, const MetricFamily& family, const ClientMetric& metric)
      : out_(out), family_(family), metric_(metric) {}

  void Write(std::string_view suffix) {
    Open(suffix);
    if (!metric_.label.empty()) out_ += '}';
    out_ += ' ';
  }
  void Write(std::string_view suffix, std::string_view extra_name, double extra_value) {
    OpenExtra(suffix, extra_name);
    AppendMetricValue(out_, extra_value);
    out_ += "\"} ";
  }
  void Write(std::string_view suffix, std::string_view extra_name, std::string_view extra_value) {
    OpenExtra(suffix, extra_name);
    AppendMetricLabelValue(out_, extra_value);
    out_ += "\"} ";
  }

 private:
  // The name and the metric's labels, the closing brace left out.
  void Open(std::string_view suffix) {
    out_ += family_.name;
    out_ += suffix;
    if (metric_.label.empty()) return;
    char separator = '{';
    for (const auto& label : metric_.label) {
      out_ += separator;
      separator = ',';
      out_ += label.name;
      out_ += "=\"";
      AppendMetricLabelValue(out_, label.value);
      out_ += '"';
    }
  }
  void OpenExtra(std::string_view suffix, std::string_view extra_name) {
    Open(suffix);
    out_ += metric_.label.empty() ? '{' : ',';
    out_ += extra_name;
    out_ += "=\"";
  }

  std::string& out_;
  const MetricFamily& family_;
  const ClientMetric& metric_;
};

void Tail(std::string& out, const ClientMetric& metric) {
  if (metric.timestamp_ms != 0) {
    out += ' ';
    AppendInt(out, metric.timestamp_ms);
  }
  out += '\n';
}

void Summary(std::string& out, const MetricFamily& family, const ClientMetric& metric) {
  Head head(out, family, metric);
  head.Write("_count");
  AppendInt(out, metric.summary.sample_count);
  Tail(out, metric);
  head.Write("_sum");
  AppendMetricValue(out, metric.summary.sample_sum);
  Tail(out, metric);
  for (const auto& q : metric.summary.quantile) {
    head.Write("", "quantile", q.quantile);
    AppendMetricValue(out, q.value);
    Tail(out, metric);
  }
}

void Histogram(std::string& out, const MetricFamily& family, const ClientMetric& metric) {
  Head head(out, family, metric);
  head.Write("_count");
  AppendInt(out, metric.histogram.sample_count);
  Tail(out, metric);
  head.Write("_sum");
  AppendMetricValue(out, metric.histogram.sample_sum);
  Tail(out, metric);
  double last = -std::numeric_limits<double>::infinity();
  for (const auto& bucket : metric.histogram.bucket) {
    head.Write("_bucket", "le", bucket.upper_bound);
    last = bucket.upper_bound;
    AppendInt(out, bucket.cumulative_count);
    Tail(out, metric);
  }
  if (last != std::numeric_limits<double>::infinity()) {
    head.Write("_bucket", "le", std::string_view("+Inf"));
    AppendInt(out, metric.histogram.sample_count);
    Tail(out, metric);
  }
}

void Sample(std::string& out, const MetricFamily& family, const ClientMetric& metric) {
  Head head(out, family, metric);
  switch (family.type) {
    case prometheus::MetricType::Counter:
      head.Write("");
      AppendMetricValue(out, metric.counter.value);
      break;
    case prometheus::MetricType::Gauge:
      head.Write("");
      AppendMetricValue(out, metric.gauge.value);
      break;
    case prometheus::MetricType::Untyped:
      head.Write("");
      AppendMetricValue(out, metric.untyped.value);
      break;
    case prometheus::MetricType::Summary:
      return Summary(out, family, metric);
    case prometheus::MetricType::Histogram:
      return Histogram(out, family, metric);
  }
  Tail(out, metric);
}

std::string_view TypeName(prometheus::MetricType type) {
  switch (type) {
    case prometheus::MetricType::Counter:
      return "counter";
    case prometheus::MetricType::Gauge:
      return "gauge";
    case prometheus::MetricType::Summary:
      return "summary";
    case prometheus::MetricType::Histogram:
      return "histogram";
    case prometheus::MetricType::Untyped:
      break;
  }
  return "untyped";
}

}  // namespace

size_t MetricsTextSizeHint(const std::vector<prometheus::MetricFamily>& families) {
  size_t samples = 0;
  for (const MetricFamily& family : families) samples += family.metric.size();
  return samples * 80 + families.size() * 160;
}

void AppendMetricsText(std::string& out, const std::vector<prometheus::MetricFamily>& families) {
  for (const MetricFamily& family : families) {
    if (!family.help.empty()) {
      out += "# HELP ";
      out += family.name;
      out += ' ';
      out += family.help;
      out += '\n';
    }
    out += "# TYPE ";
    out += family.name;
    out += ' ';
    out += TypeName(family.type);
    out += '\n';
    for (const ClientMetric& metric : family.metric) Sample(out, family, metric);
  }
}

std::string MetricsText(const std::vector<prometheus::MetricFamily>& families) {
  std::string out;
  out.reserve(MetricsTextSizeHint(families));
  AppendMetricsText(out, families);
  return out;
}

std::string ScrapeText(const prometheus::Registry& registry, const SeriesTable* series) {
  const std::vector<MetricFamily> families = registry.Collect();
  std::string text;
  text.reserve(MetricsTextSizeHint(families) +
               (series != nullptr ? series->series_count() * 80 : 0));
  AppendMetricsText(text, families);
  if (series != nullptr) series->AppendText(text);
  return text;
}

}  // namespace carecast::common
