// loadConfigFile against real files: missing, a directory, unreadable, oversized, a pipe-like
// device, and a good file.
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "config/loader.h"
#include "config_test_util.h"

namespace gw {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using testing::problems;

class ConfigFile : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("gatewatch-config-test-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string write(const std::string& name, const std::string& content) {
    const std::string path = (dir_ / name).string();
    std::ofstream(path, std::ios::binary) << content;
    return path;
  }

  std::filesystem::path dir_;
};

TEST_F(ConfigFile, MissingFileNamesThePathAndTheReason) {
  const std::string path = (dir_ / "nope.yaml").string();
  EXPECT_THAT(problems(loadConfigFile(path)),
              ElementsAre(path + ": cannot open the config: No such file or directory"));
}

TEST_F(ConfigFile, DirectoryIsNotAConfig) {
  EXPECT_THAT(problems(loadConfigFile(dir_.string())),
              ElementsAre(dir_.string() + ": cannot read the config: Is a directory"));
}

TEST_F(ConfigFile, UnreadableFileSaysPermissionDenied) {
  if (::geteuid() == 0) GTEST_SKIP() << "root reads every file; permission can't be tested";
  const std::string path = write("secret.yaml", "sources: []\n");
  ::chmod(path.c_str(), 0);
  EXPECT_THAT(problems(loadConfigFile(path)),
              ElementsAre(path + ": cannot open the config: Permission denied"));
}

TEST_F(ConfigFile, TenMebibyteFileIsRefusedBeforeParsing) {
  const std::string path = write("big.yaml", std::string(10 * 1024 * 1024, '['));
  EXPECT_THAT(problems(loadConfigFile(path)),
              ElementsAre(path + ": the file is 10485760 bytes; a config is at most 1048576 (is "
                                 "this the right file?)"));
}

TEST_F(ConfigFile, EndlessDeviceIsCutAtTheLimit) {
  EXPECT_THAT(problems(loadConfigFile("/dev/zero")),
              ElementsAre("/dev/zero: the file is larger than 1048576 bytes, the most a config "
                          "may have (is this the right file?)"));
}

TEST_F(ConfigFile, GoodFileLoadsAndProblemsCarryItsPath) {
  const std::string good = write("good.yaml", "sources:\n  - {name: web, access_log: /x}\n");
  const ConfigLoad l = loadConfigFile(good);
  EXPECT_THAT(problems(l), IsEmpty());
  EXPECT_EQ(l.config.path, good);
  const std::string bad = write("bad.yaml", "sources:\n  - {name: web, acess_log: /x}\n");
  EXPECT_THAT(
      problems(loadConfigFile(bad)),
      ::testing::Contains(bad + ":2:17: unknown key 'acess_log' (did you mean 'access_log'?)"));
}

}  // namespace
}  // namespace gw
