#include "core/file_io.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace sl {
namespace {

std::filesystem::path TempDir() {
  auto dir = std::filesystem::temp_directory_path() /
             ("sl_file_io_" + std::to_string(::getpid()) + "_" +
              ::testing::UnitTest::GetInstance()->current_test_info()->name());
  std::filesystem::remove_all(dir);
  return dir;
}

std::string Slurp(const std::filesystem::path& p) {
  std::ifstream f(p, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

TEST(FileIo, CreatesMissingParentDirectoriesAndReplacesTheFile) {
  const auto dir = TempDir();
  const auto path = dir / "a" / "b" / "out.json";
  ASSERT_TRUE(WriteTextFile(path.string(), "first, longer\n").ok());
  ASSERT_TRUE(WriteTextFile(path.string(), "second\n").ok());
  EXPECT_EQ(Slurp(path), "second\n");
  std::filesystem::remove_all(dir);
}

TEST(FileIo, FailsInOneLineNamingThePath) {
  const auto dir = TempDir();
  std::filesystem::create_directories(dir);
  const auto file = dir / "plain";
  ASSERT_TRUE(WriteTextFile(file.string(), "x").ok());
  // A regular file where a directory should be: neither the directory nor the file can be made.
  for (const auto& bad : {file / "out.json", file / "sub" / "out.json", dir}) {
    Status st = WriteTextFile(bad.string(), "y");
    ASSERT_FALSE(st.ok()) << bad;
    EXPECT_EQ(st.message().rfind(bad.string() + ":", 0), 0u) << st.message();
    EXPECT_EQ(st.message().find('\n'), std::string::npos) << st.message();
  }
  EXPECT_FALSE(WriteTextFile("", "z").ok());
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace sl
