// Ed25519 keys and detached signatures (trainer/system/ed25519.h): a signed file verifies; an
// altered file, an altered signature, the wrong key and a missing signature are refused, each
// naming the file at fault; private keys are written owner-only, never overwritten, and refused
// when others can read them. The cross-check against the openssl command is in
// tests/cli/test_keys.sh.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <string>

#include "scratch_dir.h"
#include "trainer/system/ed25519.h"

namespace pathodino::system {
namespace {

namespace fs = std::filesystem;

void write(const fs::path& file, const std::string& bytes) {
  std::ofstream(file, std::ios::binary) << bytes;
}

std::string read(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// The SignatureError `action` throws; fails the test when it throws none.
std::string refusal(const std::function<void()>& action) {
  try {
    action();
  } catch (const SignatureError& e) {
    return e.what();
  }
  ADD_FAILURE() << "nothing was refused";
  return {};
}

TEST(Ed25519, ASignedFileVerifiesAndEveryAlterationIsRefusedByName) {
  const testing_support::ScratchDir scratch("ed25519_files");
  const Ed25519Key key = Ed25519Key::generate();
  const fs::path file = scratch.path() / "manifest.json";
  write(file, "{\"step\": 12}\n");
  sign_file(file, key);
  EXPECT_NO_THROW(verify_file_signature(file, key));

  write(file, "{\"step\": 13}\n");
  std::string why = refusal([&] { verify_file_signature(file, key); });
  EXPECT_NE(why.find(file.string() + " does not match its signature"), std::string::npos) << why;

  write(file, "{\"step\": 12}\n");
  const fs::path sig = signature_path(file);
  std::string line = read(sig);
  const size_t last_digit = line.size() - 2;  // before the newline
  line[last_digit] = line[last_digit] == '0' ? '1' : '0';
  write(sig, line);
  why = refusal([&] { verify_file_signature(file, key); });
  EXPECT_NE(why.find("was altered"), std::string::npos) << why;

  sign_file(file, key);
  const Ed25519Key other = Ed25519Key::generate();
  why = refusal([&] { verify_file_signature(file, other); });
  EXPECT_NE(why.find(sig.string() + ": signed by key " + key.fingerprint()), std::string::npos)
      << why;
  EXPECT_NE(why.find("not by key " + other.fingerprint()), std::string::npos) << why;

  fs::remove(sig);
  why = refusal([&] { verify_file_signature(file, key); });
  EXPECT_NE(why.find(sig.string() + ": missing"), std::string::npos) << why;
}

TEST(Ed25519, KeysRoundTripThroughPemAndPrivateKeysStayPrivate) {
  const testing_support::ScratchDir scratch("ed25519_keys");
  const fs::path private_pem = scratch.path() / "k.pem", public_pem = scratch.path() / "k.pub.pem";
  const Ed25519Key key = Ed25519Key::generate();
  key.save(private_pem, public_pem);
  EXPECT_EQ(fs::status(private_pem).permissions() & fs::perms::all,
            fs::perms::owner_read | fs::perms::owner_write);
  const Ed25519Key signer = Ed25519Key::load_private(private_pem);
  const Ed25519Key checker = Ed25519Key::load_public(public_pem);
  EXPECT_TRUE(signer.can_sign());
  EXPECT_FALSE(checker.can_sign());
  EXPECT_EQ(signer.fingerprint(), key.fingerprint());
  EXPECT_EQ(checker.fingerprint(), key.fingerprint());
  const std::string signature = signer.sign("slide ledger");
  EXPECT_EQ(signature.size(), 64u);
  EXPECT_TRUE(checker.verify("slide ledger", signature));
  EXPECT_FALSE(checker.verify("slide ledgex", signature));

  std::string why = refusal([&] { key.save(private_pem, scratch.path() / "other.pub.pem"); });
  EXPECT_NE(why.find("never overwritten"), std::string::npos) << why;
  EXPECT_EQ(Ed25519Key::load_private(private_pem).fingerprint(), key.fingerprint());

  fs::permissions(private_pem, fs::perms::group_read, fs::perm_options::add);
  why = refusal([&] { Ed25519Key::load_private(private_pem); });
  EXPECT_NE(why.find(private_pem.string() + ": permissions 0640 are too open"), std::string::npos)
      << why;
  why = refusal([&] { Ed25519Key::load_public(private_pem); });
  EXPECT_NE(why.find("not a PEM public key"), std::string::npos) << why;
}

}  // namespace
}  // namespace pathodino::system
