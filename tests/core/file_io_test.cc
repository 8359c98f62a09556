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

TEST(FileIo, CheckWritableAgreesWithWriteTextFileAndWritesNothing) {
  const auto dir = TempDir();
  const auto fresh = dir / "new" / "out.json";
  ASSERT_TRUE(CheckWritable(fresh.string()).ok());
  EXPECT_TRUE(std::filesystem::is_directory(fresh.parent_path()));
  EXPECT_FALSE(std::filesystem::exists(fresh));
  const auto file = dir / "plain";
  ASSERT_TRUE(WriteTextFile(file.string(), "x").ok());
  EXPECT_TRUE(CheckWritable(file.string()).ok());
  EXPECT_EQ(Slurp(file), "x");
  for (const auto& bad : {file / "out.json", dir}) {
    Status st = CheckWritable(bad.string());
    ASSERT_FALSE(st.ok()) << bad;
    EXPECT_EQ(st.message().rfind(bad.string() + ":", 0), 0u) << st.message();
    EXPECT_FALSE(WriteTextFile(bad.string(), "y").ok());
  }
  if (::geteuid() != 0) {  // root writes anywhere
    std::filesystem::permissions(
        dir / "new", std::filesystem::perms::owner_read | std::filesystem::perms::owner_exec);
    EXPECT_FALSE(CheckWritable(fresh.string()).ok());
    EXPECT_FALSE(WriteTextFile(fresh.string(), "y").ok());
    std::filesystem::permissions(dir / "new", std::filesystem::perms::owner_all);
  }
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace sl
