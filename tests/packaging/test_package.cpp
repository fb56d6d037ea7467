// The Debian package CPack makes of this build tree, taken apart and installed into scratch
// roots as dpkg installs it: its control data and files, the installed executable, unit and
// UI, the maintainer scripts' user, state folder, conffile and purge, and lintian's verdict.
// dpkg installs into a root with --force-script-chrootless: the maintainer scripts run on
// this host with DPKG_ROOT set. Root is needed for the owners they set.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "process_helpers.hpp"

namespace {

namespace fs = std::filesystem;
using lacquer::test::ChildProcess;

struct Ran {
  int code = -1;
  std::string out;
  std::string err;
};

Ran run(const std::vector<std::string>& argv, int timeout_s = 120) {
  ChildProcess child(argv);
  Ran ran;
  ran.code = child.wait(timeout_s * 1000);
  ran.out = child.stdout_text();
  ran.err = child.stderr_text();
  return ran;
}

std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

void write_text(const fs::path& path, const std::string& text) {
  fs::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary) << text;
}

/// The fields of the line of `file` (passwd, group, shadow) whose first field is `name`.
std::vector<std::string> account(const fs::path& file, const std::string& name) {
  std::istringstream lines(read_text(file));
  for (std::string line; std::getline(lines, line);) {
    if (line.empty()) continue;
    std::vector<std::string> fields;
    std::string field;
    std::istringstream split(line);
    while (std::getline(split, field, ':')) fields.push_back(field);
    if (line.back() == ':') fields.emplace_back();
    if (!fields.empty() && fields[0] == name) return fields;
  }
  return {};
}

class Package : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (geteuid() != 0) return;
    scratch_ = new fs::path(lacquer::test::temp_dir());
    const Ran cpack = run({"cpack", "--config", LACQUER_BUILD_DIR "/CPackConfig.cmake", "-G", "DEB",
                           "-B", (*scratch_ / "out").string()},
                          300);
    cpack_log_ = new std::string(cpack.out + cpack.err);
    for (const auto& entry : fs::directory_iterator(*scratch_ / "out")) {
      if (entry.path().extension() == ".deb") deb_ = new std::string(entry.path().string());
    }
  }

  static void TearDownTestSuite() {
    if (scratch_ != nullptr) fs::remove_all(*scratch_);
    delete scratch_;
    delete cpack_log_;
    delete deb_;
  }

  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "dpkg installs into a root and sets owners: run as root";
    ASSERT_NE(deb_, nullptr) << "cpack made no .deb:\n" << *cpack_log_;
  }

  static fs::path scratch() { return *scratch_; }
  static const std::string& deb() { return *deb_; }

  /// The package unpacked (dpkg-deb -x) into a fresh folder, once.
  static fs::path extracted() {
    const fs::path root = scratch() / "extracted";
    if (!fs::exists(root)) {
      const Ran x = run({"dpkg-deb", "-x", deb(), root.string()});
      EXPECT_EQ(x.code, 0) << x.err;
    }
    return root;
  }

  /// An empty root with the accounts every Debian system has and dpkg's database.
  static fs::path bare_root(const std::string& name) {
    const fs::path root = scratch() / name;
    write_text(root / "etc/passwd", "root:x:0:0:root:/root:/bin/sh\n");
    write_text(root / "etc/group", "root:x:0:\naudio:x:29:\n");
    write_text(root / "etc/shadow", "root:*:19000:0:99999:7:::\n");
    write_text(root / "etc/gshadow", "root:*::\naudio:*::\n");
    fs::permissions(root / "etc/shadow", fs::perms::owner_read | fs::perms::owner_write);
    fs::permissions(root / "etc/gshadow", fs::perms::owner_read | fs::perms::owner_write);
    fs::create_directories(root / "var/lib/dpkg/info");
    fs::create_directories(root / "var/lib/dpkg/updates");
    write_text(root / "var/lib/dpkg/status", "");
    return root;
  }

  /// dpkg on `root`, the maintainer scripts run here with DPKG_ROOT=root. The libraries'
  /// packages are not in the scratch root, hence --force-depends.
  static Ran dpkg(const fs::path& root, const std::vector<std::string>& action) {
    std::vector<std::string> argv = {"dpkg", "--root=" + root.string(), "--log=/dev/null",
                                     "--force-script-chrootless", "--force-depends",
                                     "--force-confold"};
    argv.insert(argv.end(), action.begin(), action.end());
    return run(argv);
  }

 private:
  static inline fs::path* scratch_ = nullptr;
  static inline std::string* cpack_log_ = nullptr;
  static inline std::string* deb_ = nullptr;
};

TEST_F(Package, ControlNamesVersionDependenciesAndMaintainerScripts) {
  const Ran fields = run({"dpkg-deb", "-f", deb(), "Package", "Version", "Architecture",
                          "Depends", "Recommends", "Section"});
  ASSERT_EQ(fields.code, 0) << fields.err;
  EXPECT_NE(fields.out.find("Package: lacquer\n"), std::string::npos) << fields.out;
  EXPECT_NE(fields.out.find("Version: " LACQUER_VERSION "\n"), std::string::npos) << fields.out;
  EXPECT_NE(fields.out.find("Section: sound\n"), std::string::npos) << fields.out;
  EXPECT_NE(fields.out.find("Recommends: jackd2\n"), std::string::npos) << fields.out;
  // dpkg-shlibdeps found the packages of the libraries the executable links.
  const std::string depends = fields.out.substr(fields.out.find("Depends:"));
  for (const char* library : {"libc6", "libjack", "libsndfile1", "libsqlite3", "liblo7",
                              "libopus0", "libfftw3", "libsystemd0", "systemd |"}) {
    EXPECT_NE(depends.find(library), std::string::npos) << library << " missing: " << depends;
  }

  const Ran info = run({"dpkg-deb", "-I", deb()});
  ASSERT_EQ(info.code, 0) << info.err;
  // dpkg-deb marks executable members with '*'.
  for (const char* script : {"postinst", "prerm", "postrm"}) {
    EXPECT_TRUE(std::regex_search(info.out, std::regex(std::string("\\*  ") + script + " +#!/bin/sh")))
        << script << ":\n" << info.out;
  }
  const fs::path control = scratch() / "control";
  ASSERT_EQ(run({"dpkg-deb", "-e", deb(), control.string()}).code, 0);
  EXPECT_EQ(read_text(control / "conffiles"), "/etc/lacquer/lacquer.toml\n");
  for (const char* script : {"postinst", "prerm", "postrm"}) {
    const Ran syntax = run({"sh", "-n", (control / script).string()});
    EXPECT_EQ(syntax.code, 0) << script << ": " << syntax.err;
  }
}

TEST_F(Package, HoldsTheExecutableEveryUiFileTheUnitAndTheConfiguration) {
  const Ran contents = run({"dpkg-deb", "-c", deb()});
  ASSERT_EQ(contents.code, 0) << contents.err;
  std::set<std::string> files;
  std::istringstream lines(contents.out);
  for (std::string line; std::getline(lines, line);) {
    EXPECT_NE(line.find(" root/root "), std::string::npos) << line;
    files.insert(line.substr(line.find(" ./") + 2));
  }
  for (const char* file : {"/usr/bin/lacquer", "/usr/lib/systemd/system/lacquer.service",
                           "/etc/lacquer/lacquer.toml", "/usr/share/doc/lacquer/copyright",
                           "/usr/share/doc/lacquer/changelog.gz", "/usr/share/doc/lacquer/README.md",
                           "/usr/share/doc/lacquer/examples/lacquer.env",
                           "/usr/lib/sysusers.d/lacquer.conf", "/usr/lib/tmpfiles.d/lacquer.conf"}) {
    EXPECT_EQ(files.count(file), 1U) << file;
  }
  int ui_files = 0;
  for (const auto& entry : fs::recursive_directory_iterator(LACQUER_SOURCE_DIR "/web")) {
    if (!entry.is_regular_file()) continue;
    const std::string relative = fs::relative(entry.path(), LACQUER_SOURCE_DIR "/web").string();
    EXPECT_EQ(files.count("/usr/share/lacquer/web/" + relative), 1U) << relative;
    ++ui_files;
  }
  EXPECT_GT(ui_files, 10);
  for (const std::string& file : files) {
    EXPECT_TRUE(file.starts_with("/usr/") || file.starts_with("/etc/")) << file;
    EXPECT_FALSE(file.starts_with("/usr/local")) << file;
  }
}

TEST_F(Package, UnpackedExecutableRunsAndItsUnitVerifies) {
  const fs::path root = extracted();
  const Ran version = run({(root / "usr/bin/lacquer").string(), "--version"});
  EXPECT_EQ(version.code, 0) << version.err;
  EXPECT_EQ(version.out, LACQUER_VERSION "\n");

  const fs::path unit = root / "usr/lib/systemd/system/lacquer.service";
  const std::string text = read_text(unit);
  EXPECT_NE(text.find("\nExecStart=/usr/bin/lacquer serve --config /etc/lacquer/lacquer.toml "),
            std::string::npos) << text;
  EXPECT_NE(text.find("\nEnvironmentFile=-/etc/lacquer/lacquer.env\n"), std::string::npos);
  EXPECT_NE(text.find("\nDocumentation=file:///usr/share/doc/lacquer/README.md\n"),
            std::string::npos);
  EXPECT_TRUE(fs::exists(root / "usr/share/doc/lacquer/README.md"));
  EXPECT_NE(text.find("\nUser=lacquer\n"), std::string::npos);
  EXPECT_EQ(text.find('@'), std::string::npos) << "unsubstituted template variable:\n" << text;

  // What the base system gives a real root: /bin/kill (ExecReload) and systemd's own units
  // (the targets the unit's default dependencies name).
  fs::create_directories(root / "bin");
  fs::copy_file("/bin/kill", root / "bin/kill", fs::copy_options::overwrite_existing);
  fs::create_directories(root / "lib/systemd");
  fs::copy("/lib/systemd/system", root / "lib/systemd/system",
           fs::copy_options::recursive | fs::copy_options::copy_symlinks |
               fs::copy_options::skip_existing);
  const Ran verify = run({"systemd-analyze", "verify", "--root=" + root.string(),
                          "/usr/lib/systemd/system/lacquer.service"});
  EXPECT_EQ(verify.code, 0) << verify.out << verify.err;
}

TEST_F(Package, InstalledDaemonServesTheInstalledUi) {
  const fs::path root = extracted();
  lacquer::test::JackDummyServer jack(lacquer::test::unique_name("pkg"), 48000, 256);
  ASSERT_TRUE(jack.start());
  const std::uint16_t port = lacquer::test::free_port();
  auto daemon = lacquer::test::serve((root / "usr/bin/lacquer").string(), jack.name(), port,
                                     (scratch() / "serve/lacquer.db").string(), "pkg-token");
  ASSERT_NE(daemon, nullptr);
  const auto index = lacquer::test::http_get(port, "/");
  const auto app = lacquer::test::http_get(port, "/js/app.js");
  daemon->signal(SIGTERM);
  EXPECT_EQ(daemon->wait(10000), 0);
  EXPECT_EQ(index.status, 200);
  EXPECT_EQ(index.body, read_text(root / "usr/share/lacquer/web/index.html"));
  EXPECT_EQ(app.body, read_text(root / "usr/share/lacquer/web/js/app.js"));
  // The installed copy, found beside the executable, not the source folder it was built from.
  EXPECT_NE(daemon->stderr_text().find("serving the UI from " +
                                       (root / "usr/share/lacquer/web").string()),
            std::string::npos)
      << daemon->stderr_text();
}

TEST_F(Package, InstallCreatesTheUserAndStateFolderAndPurgeRemovesThem) {
  const fs::path root = bare_root("installed");
  const Ran install = dpkg(root, {"-i", deb()});
  ASSERT_EQ(install.code, 0) << install.out << install.err;

  const Ran status = run({"dpkg-query", "--admindir=" + (root / "var/lib/dpkg").string(), "-W",
                          "-f=${Status} ${Version}", "lacquer"});
  EXPECT_EQ(status.out, "install ok installed " LACQUER_VERSION);
  const Ran version = run({(root / "usr/bin/lacquer").string(), "--version"});
  EXPECT_EQ(version.out, LACQUER_VERSION "\n");

  // A system user (uid below 1000) with its own group, in audio, that cannot log in.
  const auto user = account(root / "etc/passwd", "lacquer");
  ASSERT_EQ(user.size(), 7U);
  const int uid = std::stoi(user[2]);
  EXPECT_GT(uid, 0);
  EXPECT_LT(uid, 1000);
  EXPECT_EQ(user[5], "/var/lib/lacquer");
  EXPECT_EQ(user[6], "/usr/sbin/nologin");
  const auto group = account(root / "etc/group", "lacquer");
  ASSERT_EQ(group.size(), 4U);
  EXPECT_EQ(user[3], group[2]);
  EXPECT_EQ(account(root / "etc/group", "audio").at(3), "lacquer");

  struct stat state {};
  ASSERT_EQ(stat((root / "var/lib/lacquer").c_str(), &state), 0);
  EXPECT_EQ(static_cast<int>(state.st_uid), uid);
  EXPECT_EQ(std::to_string(state.st_gid), group[2]);
  EXPECT_EQ(state.st_mode & 07777, 0750U);

  // The configuration is a conffile: the studio's edit survives reinstalling the package.
  const fs::path config = root / "etc/lacquer/lacquer.toml";
  ASSERT_TRUE(fs::exists(config));
  const std::string edited = read_text(config) + "\n# edited by the studio\n";
  write_text(config, edited);
  const Ran again = dpkg(root, {"-i", deb()});
  ASSERT_EQ(again.code, 0) << again.out << again.err;
  EXPECT_EQ(read_text(config), edited);
  EXPECT_EQ(account(root / "etc/passwd", "lacquer").at(2), user[2]) << "a second user";

  // Purge: files, configuration and state go; the account stays, without a password.
  write_text(root / "var/lib/lacquer/lacquer.db", "data");
  const Ran purge = dpkg(root, {"--purge", "lacquer"});
  ASSERT_EQ(purge.code, 0) << purge.out << purge.err;
  EXPECT_FALSE(fs::exists(root / "usr/bin/lacquer"));
  EXPECT_FALSE(fs::exists(config));
  EXPECT_FALSE(fs::exists(root / "var/lib/lacquer"));
  EXPECT_EQ(account(root / "etc/passwd", "lacquer").at(2), user[2]);
  EXPECT_TRUE(account(root / "etc/shadow", "lacquer").at(1).starts_with("!"));

  // Installed again: the same account, a new empty state folder.
  const Ran back = dpkg(root, {"-i", deb()});
  ASSERT_EQ(back.code, 0) << back.out << back.err;
  EXPECT_EQ(account(root / "etc/passwd", "lacquer").at(2), user[2]);
  const std::string passwd = read_text(root / "etc/passwd");
  EXPECT_EQ(passwd.find("\nlacquer:"), passwd.rfind("\nlacquer:")) << passwd;
  EXPECT_TRUE(fs::is_directory(root / "var/lib/lacquer"));
  EXPECT_FALSE(fs::exists(root / "var/lib/lacquer/lacquer.db"));
}

TEST_F(Package, LintianReportsNoErrors) {
  const Ran lintian = run({"lintian", "--fail-on", "error", "--no-tag-display-limit", deb()}, 300);
  EXPECT_EQ(lintian.code, 0) << lintian.out << lintian.err;
  EXPECT_EQ(lintian.out.find("E: "), std::string::npos) << lintian.out;
}

}  // namespace
