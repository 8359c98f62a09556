#include "runtime/records_csv.h"

#include <gtest/gtest.h>

#include <algorithm>

namespace sl {
namespace {

TEST(RecordsCsv, OneLinePerRecordWithTheHeadersColumns) {
  RequestRecord served;
  served.id = 7;
  served.task = 0;
  served.arrival_us = 10;
  served.deadline_us = 300;
  served.served = true;
  served.start_us = 20;
  served.finish_us = 120;
  served.stitch = {2, 1};
  served.placement = {0, 1};
  served.stitch_index = 13;
  RequestRecord rejected;
  rejected.id = 8;
  rejected.task = 1;
  rejected.reason = "deadline-unmeetable";
  rejected.finish_us = 55;
  const std::string csv = RecordsCsv({served, rejected}, {"cam", "kws"}, "sparseloom");
  const std::string header = RecordsCsvHeader();
  const auto columns = [](const std::string& line) {
    return std::count(line.begin(), line.end(), ',') + 1;
  };
  const size_t nl = csv.find('\n');
  ASSERT_NE(nl, std::string::npos);
  const std::string first = csv.substr(0, nl), second = csv.substr(nl + 1, csv.size() - nl - 2);
  EXPECT_EQ(columns(first), columns(header.substr(0, header.size() - 1)));
  EXPECT_EQ(columns(second), columns(first));
  EXPECT_EQ(first.rfind("sparseloom,7,cam,", 0), 0u) << first;
  EXPECT_NE(first.find(",2-1,0-1,"), std::string::npos) << first;
  EXPECT_NE(first.find(",110.000,"), std::string::npos) << first;  // latency: arrival to finish
  EXPECT_NE(second.find(",deadline-unmeetable,0.000,55.000,"), std::string::npos) << second;
}

TEST(RecordsCsv, NamesWithCommasOrQuotesAreQuoted) {
  RequestRecord r;
  r.task = 0;
  const std::string csv = RecordsCsv({r}, {"cam, \"left\""}, "p");
  EXPECT_EQ(csv.rfind("p,0,\"cam, \"\"left\"\"\",", 0), 0u) << csv;
}

}  // namespace
}  // namespace sl
