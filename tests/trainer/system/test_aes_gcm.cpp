// AES-256-GCM files (trainer/system/aes_gcm.h): decryption matches the GCM specification's test
// case 16 (an independent reference: AES-256, 96-bit nonce, 20 bytes of authenticated data, a
// partial last block); a file streamed through the encryptor in pieces decrypts to its bytes;
// an altered byte, other authenticated data (a file moved elsewhere) and another key are refused
// naming the file; key files are owner-only and never overwritten.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <string>

#include "scratch_dir.h"
#include "trainer/system/aes_gcm.h"
#include "trainer/system/key_file.h"

namespace pathodino::system {
namespace {

namespace fs = std::filesystem;

void write(const fs::path& file, const std::string& bytes) {
  std::ofstream(file, std::ios::binary) << bytes;
  fs::permissions(file, fs::perms::owner_read | fs::perms::owner_write);
}

std::string refusal(const std::function<void()>& action) {
  try {
    action();
  } catch (const EncryptionError& e) {
    return e.what();
  }
  ADD_FAILURE() << "nothing was refused";
  return {};
}

// An encrypted file made with `encryptor` from `plain`, fed in pieces of `piece` bytes.
std::string encrypt(GcmEncryptor& encryptor, const std::string& plain, size_t piece) {
  std::string out = encryptor.header(), buffer(piece, '\0');
  for (size_t done = 0; done < plain.size(); done += piece) {
    const size_t n = std::min(piece, plain.size() - done);
    encryptor.update(reinterpret_cast<const std::byte*>(plain.data() + done), n,
                     reinterpret_cast<std::byte*>(buffer.data()));
    out.append(buffer, 0, n);
  }
  return out + encryptor.tag();
}

TEST(AesGcm, DecryptsTheGcmSpecificationsTestCase16) {
  const testing_support::ScratchDir scratch("aes_gcm_vector");
  write(scratch.path() / "key",
        "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308\n");
  const AesKey key = AesKey::load(scratch.path() / "key");
  const std::string file_bytes =
      "PDGCM001" + from_hex("cafebabefacedbaddecaf888") +
      from_hex(
          "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa"
          "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662") +
      from_hex("76fc6ece0f4e1768cddf8853bb2d551b");
  write(scratch.path() / "case16", file_bytes);
  const std::string aad = from_hex("feedfacedeadbeeffeedfacedeadbeefabaddad2");
  EXPECT_EQ(to_hex(decrypt_file(scratch.path() / "case16", key, aad)),
            "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
            "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39");
}

TEST(AesGcm, StreamedFilesRoundTripAndEveryAlterationIsRefusedByName) {
  const testing_support::ScratchDir scratch("aes_gcm_files");
  const AesKey key = AesKey::generate();
  std::string plain;
  for (int i = 0; i < 100000; ++i) plain += static_cast<char>(i * 7919 % 251);
  GcmEncryptor encryptor(key, "step 8 shard-00001-of-00002");
  const fs::path file = scratch.path() / "shard";
  write(file, encrypt(encryptor, plain, 4096 + 3));
  EXPECT_TRUE(is_encrypted_file(file));
  EXPECT_EQ(decrypt_file(file, key, "step 8 shard-00001-of-00002"), plain);

  std::string why = refusal([&] { decrypt_file(file, key, "step 8 shard-00000-of-00002"); });
  EXPECT_NE(why.find(file.string() + ": fails its authentication tag"), std::string::npos) << why;
  why = refusal([&] { decrypt_file(file, AesKey::generate(), "step 8 shard-00001-of-00002"); });
  EXPECT_NE(why.find(file.string() + ": fails its authentication tag"), std::string::npos) << why;
  std::fstream edit(file, std::ios::in | std::ios::out | std::ios::binary);
  edit.seekg(5000);
  const char byte = static_cast<char>(edit.get() ^ 0xff);  // a byte that surely differs
  edit.seekp(5000);
  edit.put(byte);
  edit.close();
  why = refusal([&] { decrypt_file(file, key, "step 8 shard-00001-of-00002"); });
  EXPECT_NE(why.find("altered"), std::string::npos) << why;
  write(file, plain);
  EXPECT_FALSE(is_encrypted_file(file));
  why = refusal([&] { decrypt_file(file, key, ""); });
  EXPECT_NE(why.find(file.string() + ": not an encrypted file"), std::string::npos) << why;
}

TEST(AesGcm, KeyFilesAreOwnerOnlyAndNeverOverwritten) {
  const testing_support::ScratchDir scratch("aes_gcm_keys");
  const fs::path file = scratch.path() / "data.key";
  const AesKey key = AesKey::generate();
  key.save(file);
  EXPECT_EQ(fs::status(file).permissions() & fs::perms::all,
            fs::perms::owner_read | fs::perms::owner_write);
  EXPECT_EQ(AesKey::load(file).fingerprint(), key.fingerprint());
  EXPECT_NE(AesKey::generate().fingerprint(), key.fingerprint());
  std::string why = refusal([&] { AesKey::generate().save(file); });
  EXPECT_NE(why.find("never overwritten"), std::string::npos) << why;
  EXPECT_EQ(AesKey::load(file).fingerprint(), key.fingerprint());
  fs::permissions(file, fs::perms::others_read, fs::perm_options::add);
  why = refusal([&] { AesKey::load(file); });
  EXPECT_NE(why.find(file.string() + ": permissions 0604 are too open"), std::string::npos) << why;
  write(file, "not hex\n");
  why = refusal([&] { AesKey::load(file); });
  EXPECT_NE(why.find("not an AES-256 key"), std::string::npos) << why;
}

}  // namespace
}  // namespace pathodino::system
