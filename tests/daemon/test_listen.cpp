// Live listening on /listen against a running daemon on jackd -d dummy: auth, Opus packets
// that decode to the programme, PCM for a LAN, header fields, a refused token and origin,
// and a listener that never reads not holding up one that does.
#include <gtest/gtest.h>
#include <opus.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <map>
#include <thread>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#include <nlohmann/json.hpp>

#include "process_helpers.hpp"

namespace lacquer::test {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;

struct Header {
  int version, codec, compare, flags;
  std::uint32_t sequence;
  std::uint64_t track_time;
  int frames, track;
};

Header parse_header(const std::string& p) {
  const auto u = [&p](std::size_t at, int bytes) {
    std::uint64_t v = 0;
    for (int i = bytes - 1; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(p[at + static_cast<std::size_t>(i)]);
    return v;
  };
  return {static_cast<int>(u(0, 1)), static_cast<int>(u(1, 1)), static_cast<int>(u(2, 1)),
          static_cast<int>(u(3, 1)), static_cast<std::uint32_t>(u(4, 4)), u(8, 8),
          static_cast<int>(u(16, 2)), static_cast<int>(u(18, 2))};
}

class Listener {
 public:
  Listener(std::uint16_t port, const std::string& origin = "", const std::string& path = "/listen")
      : ws_(io_) {
    tcp::resolver resolver(io_);
    asio::connect(ws_.next_layer(), resolver.resolve("127.0.0.1", std::to_string(port)));
    ws_.set_option(websocket::stream_base::decorator([origin](websocket::request_type& req) {
      if (!origin.empty()) req.set(beast::http::field::origin, origin);
    }));
    ws_.handshake("127.0.0.1:" + std::to_string(port), path);
  }

  void send(const nlohmann::json& message) {
    ws_.text(true);
    ws_.write(asio::buffer(message.dump()));
  }

  /// Reads until the server closes the connection; false if it is still open after
  /// `messages` more messages (the caller picks a stream that keeps sending).
  bool closed_within(int messages) {
    for (int i = 0; i < messages; ++i) {
      try {
        read();
      } catch (const boost::system::system_error&) {
        return true;
      }
    }
    return false;
  }

  nlohmann::json auth(const std::string& token, const std::string& codec = "opus") {
    ws_.text(true);
    ws_.write(asio::buffer(nlohmann::json{{"op", "auth"}, {"token", token}, {"codec", codec}}.dump()));
    return nlohmann::json::parse(read());
  }

  std::string read() {
    beast::flat_buffer buffer;
    ws_.read(buffer);
    return beast::buffers_to_string(buffer.data());
  }

 private:
  asio::io_context io_;
  websocket::stream<tcp::socket> ws_;
};

class ListenTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = std::make_unique<JackDummyServer>(unique_name("lql"), 48000, 256);
    ASSERT_TRUE(server_->start());
    port_ = free_port();
    dir_ = temp_dir();
    daemon_ = std::make_unique<ChildProcess>(
        std::vector<std::string>{LACQUER_BINARY, "serve", "--demo", "--jack-server",
                                 server_->name(), "--http", "127.0.0.1:" + std::to_string(port_),
                                 "--osc", std::to_string(free_port()), "--db",
                                 dir_ + "/listen.db"},
        std::vector<std::string>{"LACQUER_TOKEN=listen-token"});
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (http_get(port_, "/healthz").status != 200 && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(20ms);
    }
    ASSERT_EQ(http_get(port_, "/healthz").status, 200) << daemon_->stderr_text();
  }

  std::unique_ptr<JackDummyServer> server_;
  /// An engineer API call; the answer's JSON.
  nlohmann::json api(const std::string& method, const std::string& path,
                     const nlohmann::json& body = nlohmann::json::object()) {
    const auto r = http_call(port_, method, path, "listen-token", body.dump());
    EXPECT_LT(r.status, 300) << method << " " << path << ": " << r.body;
    return nlohmann::json::parse(r.body, nullptr, false);
  }

  std::unique_ptr<ChildProcess> daemon_;
  std::uint16_t port_ = 0;
  std::string dir_;
};

TEST_F(ListenTest, OpusPacketsDecodeToTheProgramme) {
  Listener listener(port_);
  const auto reply = listener.auth("listen-token");
  ASSERT_EQ(reply.value("ok", false), true) << reply.dump();
  EXPECT_EQ(reply.value("codec", ""), "opus");
  EXPECT_EQ(reply.value("sample_rate", 0), 48000);

  int error = 0;
  OpusDecoder* decoder = opus_decoder_create(48000, 2, &error);
  ASSERT_EQ(error, OPUS_OK);
  std::vector<float> pcm(2 * 960);
  double energy = 0.0;
  std::size_t samples = 0;
  std::uint32_t last_sequence = 0;
  std::vector<std::uint64_t> times;
  const int packets = 100;  // 2 s
  const auto started = std::chrono::steady_clock::now();
  for (int i = 0; i < packets; ++i) {
    const std::string packet = listener.read();
    ASSERT_GT(packet.size(), 24u);
    const Header h = parse_header(packet);
    EXPECT_EQ(h.version, 1);
    EXPECT_EQ(h.codec, 1);
    EXPECT_EQ(h.frames, 960);
    EXPECT_EQ(h.flags & 1, 1);  // the demo is playing
    if (i > 0) {
      EXPECT_EQ(h.sequence, last_sequence + 1);
    }
    last_sequence = h.sequence;
    times.push_back(h.track_time);
    const int decoded = opus_decode_float(
        decoder, reinterpret_cast<const unsigned char*>(packet.data() + 24),
        static_cast<opus_int32>(packet.size() - 24), pcm.data(), 960, 0);
    ASSERT_EQ(decoded, 960);
    for (float v : pcm) energy += static_cast<double>(v) * static_cast<double>(v);
    samples += pcm.size();
  }
  opus_decoder_destroy(decoder);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  const double rms_db = 10.0 * std::log10(energy / static_cast<double>(samples));
  std::printf("listen: %d Opus packets in %.2f s, decoded RMS %.1f dBFS\n", packets, seconds, rms_db);
  EXPECT_GT(rms_db, -40.0);
  // Track time advances by one packet per packet once the programme has left the chain
  // (before that it reads 0: the chain's latency is pre-roll). The demo loops every 32 s,
  // so only a run without a wrap is compared.
  const auto first = std::find_if(times.begin(), times.end(), [](std::uint64_t t) { return t > 0; });
  ASSERT_NE(first, times.end());
  if (times.back() > *first) {
    EXPECT_EQ(times.back() - *first, static_cast<std::uint64_t>(times.end() - first - 1) * 960);
  }
}

TEST_F(ListenTest, PcmForALan) {
  Listener listener(port_);
  ASSERT_EQ(listener.auth("listen-token", "pcm").value("codec", ""), "pcm");
  const std::string packet = listener.read();
  const Header h = parse_header(packet);
  EXPECT_EQ(h.codec, 2);
  EXPECT_EQ(packet.size(), 24u + 960u * 2u * 2u);
}

TEST_F(ListenTest, RefusesABadTokenAndAForeignOrigin) {
  Listener listener(port_);
  const auto reply = listener.auth("wrong");
  EXPECT_EQ(reply.value("op", ""), "error");
  EXPECT_THROW(listener.read(), boost::system::system_error);  // closed by the server

  EXPECT_THROW(Listener(port_, "http://evil.example"), boost::system::system_error);
}

TEST_F(ListenTest, AStalledListenerDoesNotHoldUpOthers) {
  Listener stalled(port_);
  ASSERT_EQ(stalled.auth("listen-token").value("ok", false), true);
  // `stalled` never reads again; its socket buffers fill and its queue skips ahead.
  Listener reader(port_);
  ASSERT_EQ(reader.auth("listen-token").value("ok", false), true);
  const auto started = std::chrono::steady_clock::now();
  for (int i = 0; i < 250; ++i) reader.read();  // 5 s of audio
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  EXPECT_LT(seconds, 6.5);
  const std::string metrics = http_get(port_, "/metrics").body;
  EXPECT_NE(metrics.find("lacquer_listeners 2"), std::string::npos) << metrics;
}

TEST_F(ListenTest, ClientsHearOnlyTheOpenSessionTheyWereInvitedTo) {
  const auto demo = api("GET", "/api/sessions")[0]["id"].get<int>();  // open and playing
  const auto other = api("POST", "/api/sessions", {{"title", "Other"}})["id"].get<int>();
  const auto invite = [&](int session, const char* name) {
    return api("POST", "/api/sessions/" + std::to_string(session) + "/invites", {{"name", name}})
        ["token"].get<std::string>();
  };
  const std::string other_client = invite(other, "Other artist");
  const std::string demo_client = invite(demo, "Demo artist");

  Listener refused(port_);
  const auto no = refused.auth(other_client);
  EXPECT_EQ(no.value("code", ""), "forbidden") << no;
  EXPECT_THROW(refused.read(), boost::system::system_error);

  Listener client(port_);
  ASSERT_EQ(client.auth(demo_client).value("role", ""), "client");
  Listener engineer(port_);
  ASSERT_EQ(engineer.auth("listen-token").value("role", ""), "engineer");
  client.read();

  // The engineer opens the other session: the demo's client is cut off at once.
  const std::string tone = dir_ + "/other.wav";
  ASSERT_EQ(std::system(("sox -n -r 48000 -c 2 -b 16 " + tone + " synth 3 sine 440 vol 0.5").c_str()), 0);
  api("POST", "/api/sessions/" + std::to_string(other) + "/tracks", {{"file", tone}});
  const auto opened_at = std::chrono::steady_clock::now();
  api("POST", "/api/sessions/" + std::to_string(other) + "/open");
  EXPECT_TRUE(client.closed_within(100));
  EXPECT_LT(std::chrono::steady_clock::now() - opened_at, 1s);
  for (int i = 0; i < 10; ++i) engineer.read();  // still listening

  Listener now_invited(port_);
  EXPECT_EQ(now_invited.auth(other_client).value("role", ""), "client");
}

TEST_F(ListenTest, RevokingOrExpiringAClientClosesItsWebSocketAndStream) {
  const auto demo = api("GET", "/api/sessions")[0]["id"].get<int>();
  const std::string invites = "/api/sessions/" + std::to_string(demo) + "/invites";
  const auto invited = api("POST", invites, {{"name", "Artist"}});
  const std::string token = invited["token"];
  EXPECT_GT(invited["expires_unix_ms"].get<std::int64_t>(), 0);  // invites expire by default

  // Connected both ways: the control WebSocket (transport pushes keep coming) and audio.
  Listener control(port_, "", "/ws");
  ASSERT_EQ(control.auth(token).value("role", ""), "client");
  control.send({{"op", "subscribe"}, {"topics", {"transport"}}});
  Listener audio(port_);
  ASSERT_EQ(audio.auth(token).value("role", ""), "client");
  audio.read();

  const auto revoked = api("POST", "/api/clients/" + std::to_string(invited["client_id"].get<int>()) +
                                       "/revoke");
  EXPECT_EQ(revoked.value("revoked", false), true);
  EXPECT_TRUE(audio.closed_within(10));    // 0.2 s of packets
  EXPECT_TRUE(control.closed_within(10));  // 1 s of transport pushes
  Listener again(port_);
  EXPECT_EQ(again.auth(token).value("op", ""), "error");
  const auto clients = api("GET", "/api/clients");
  ASSERT_TRUE(clients.is_array());
  EXPECT_EQ(clients.back().value("revoked", false), true);

  // `lacquer revoke` on the database: the daemon notices within its 2 s check.
  const auto second = api("POST", invites, {{"name", "Producer"}});
  Listener producer(port_);
  ASSERT_EQ(producer.auth(second["token"]).value("role", ""), "client");
  ChildProcess cli({LACQUER_BINARY, "revoke", std::to_string(second["client_id"].get<int>()),
                    "--db", dir_ + "/listen.db"});
  ASSERT_EQ(cli.wait(10000), 0) << cli.stderr_text();
  EXPECT_TRUE(producer.closed_within(150));  // 3 s

  // An invite made to last 3 s ends the stream once it lapses.
  ChildProcess short_invite({LACQUER_BINARY, "invite", "--session", std::to_string(demo), "--name",
                             "Brief", "--days", "0.0000347", "--db", dir_ + "/listen.db"});
  ASSERT_EQ(short_invite.wait(10000), 0) << short_invite.stderr_text();
  std::string link = short_invite.stdout_text();
  const std::string brief = link.substr(link.find("#token=") + 7, 43);
  Listener lapsing(port_);
  ASSERT_EQ(lapsing.auth(brief).value("role", ""), "client");
  const auto started = std::chrono::steady_clock::now();
  EXPECT_TRUE(lapsing.closed_within(400));  // 8 s
  const double lasted_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  EXPECT_LT(lasted_s, 6.0);
}

// Amplitude of the component at `f` Hz in interleaved 16-bit stereo (left channel).
double amplitude_at(const std::vector<std::int16_t>& pcm, double f) {
  double s = 0.0, c = 0.0;
  const std::size_t frames = pcm.size() / 2;
  for (std::size_t i = 0; i < frames; ++i) {
    const double x = pcm[2 * i] / 32768.0;
    const double ph = 2.0 * 3.141592653589793 * f * static_cast<double>(i) / 48000.0;
    s += x * std::sin(ph);
    c += x * std::cos(ph);
  }
  return 2.0 * std::hypot(s, c) / static_cast<double>(frames);
}

TEST_F(ListenTest, ListenersHearTheComparedReferenceWithoutTheRoomAndNotesRecordIt) {
  // The mix is a 1 kHz tone, the reference a 440 Hz tone at -6 dBFS; the room's monitors are
  // turned down 20 dB, which listeners must not hear.
  const std::string mix = dir_ + "/mix.wav";
  const std::string reference = dir_ + "/reference.wav";
  ASSERT_EQ(std::system(("sox -n -r 48000 -c 2 -b 24 " + mix + " synth 20 sine 1000 vol 0.25").c_str()), 0);
  ASSERT_EQ(std::system(("sox -n -r 44100 -c 2 -b 24 " + reference + " synth 20 sine 440 vol 0.5").c_str()), 0);
  const int session = api("POST", "/api/sessions", {{"title", "Refs"}})["id"].get<int>();
  const std::string base = "/api/sessions/" + std::to_string(session);
  const int track = api("POST", base + "/tracks", {{"file", mix}})["id"].get<int>();

  Listener control(port_, "", "/ws");
  ASSERT_EQ(control.auth("listen-token").value("ok", false), true);
  const auto set = [&](const std::string& path, const nlohmann::json& value) {
    control.send({{"op", "set"}, {"path", path}, {"value", value}});
    for (;;) {  // skip pushed changes until the answer
      const auto reply = nlohmann::json::parse(control.read());
      if (reply.value("op", "") == "set" || reply.value("op", "") == "error") return reply;
    }
  };
  // No reference yet: the compare refuses and says what to do.
  api("POST", base + "/open");
  const auto refused = set("/monitor/compare", "reference");
  EXPECT_EQ(refused.value("op", ""), "error") << refused;
  EXPECT_NE(refused.value("message", "").find("/reference/select"), std::string::npos) << refused;

  const int ref_id = api("POST", base + "/references", {{"file", reference}, {"title", "Loved"}})["id"].get<int>();
  api("POST", base + "/open");  // the session's first reference is selected on opening
  nlohmann::json refs;
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  do {
    std::this_thread::sleep_for(100ms);
    refs = api("GET", base + "/references");
  } while (!refs[0].value("ready", false) && std::chrono::steady_clock::now() < deadline);
  ASSERT_TRUE(refs[0].value("ready", false)) << refs;
  EXPECT_EQ(refs[0]["id"], ref_id);
  // Its analysis is there for the spectrum overlay: a 440 Hz tone at -6 dBFS.
  EXPECT_NEAR(refs[0]["analysis"]["loudness"]["sample_peak_dbfs"].get<double>(), -6.02, 0.1) << refs[0]["analysis"]["loudness"];
  EXPECT_FALSE(refs[0]["analysis"]["spectrum"]["level_db"].empty());

  EXPECT_EQ(set("/monitor/level", -20.0).value("op", ""), "set");
  EXPECT_EQ(set("/monitor/compare", "reference").value("op", ""), "set");
  EXPECT_EQ(set("/transport/play", 1).value("op", ""), "set");

  Listener listener(port_);
  ASSERT_EQ(listener.auth("listen-token", "pcm").value("codec", ""), "pcm");
  std::vector<std::int16_t> heard;
  int compare = -1;
  for (int i = 0; i < 200 && heard.size() < 2 * 24000; ++i) {
    const std::string packet = listener.read();
    const Header h = parse_header(packet);
    compare = h.compare;
    if (h.compare != 4) continue;
    const auto* samples = reinterpret_cast<const std::int16_t*>(packet.data() + 24);
    heard.insert(heard.end(), samples, samples + (packet.size() - 24) / 2);
  }
  EXPECT_EQ(compare, 4);
  ASSERT_GE(heard.size(), 2u * 24000u);
  // The reference as it is: resampled, never processed, never turned down by the room.
  EXPECT_NEAR(amplitude_at(heard, 440.0), 0.5, 0.02);
  EXPECT_LT(amplitude_at(heard, 1000.0), 0.005);

  // A note says it was the reference that was heard, and which one.
  control.send({{"op", "note"}, {"session", session}, {"track", track}, {"time", 1.5}, {"text", "theirs is warmer"}});
  control.send({{"op", "note"}, {"session", session}, {"track", track}, {"time", 2.0}, {"text", "ours"}, {"compare", "chain"}});
  std::this_thread::sleep_for(300ms);
  const auto notes = api("GET", base + "/notes");
  ASSERT_EQ(notes.size(), 2u) << notes;
  EXPECT_EQ(notes[0]["compare_state"], "reference");
  EXPECT_EQ(notes[0]["reference_id"], ref_id);
  EXPECT_EQ(notes[1]["compare_state"], "chain");
  EXPECT_TRUE(notes[1]["reference_id"].is_null());

  // Selecting none puts the monitors back on the chain.
  EXPECT_EQ(set("/reference/select", 0).value("op", ""), "set");
  control.send({{"op", "get"}, {"path", "/monitor/compare"}});
  bool back_on_chain = false;
  for (int i = 0; i < 20 && !back_on_chain; ++i) {
    const auto m = nlohmann::json::parse(control.read());
    back_on_chain = m.value("path", "") == "/monitor/compare" && m.value("value", "") == "chain";
  }
  EXPECT_TRUE(back_on_chain);
}

TEST_F(ListenTest, ANoteRecordsTheSnapshotHeard) {
  const std::string mix = dir_ + "/mix.wav";
  ASSERT_EQ(std::system(("sox -n -r 48000 -c 2 -b 24 " + mix + " synth 10 sine 1000 vol 0.25").c_str()), 0);
  const int session = api("POST", "/api/sessions", {{"title", "Snaps"}})["id"].get<int>();
  const std::string base = "/api/sessions/" + std::to_string(session);
  const int track = api("POST", base + "/tracks", {{"file", mix}})["id"].get<int>();
  api("POST", base + "/open");
  Listener control(port_, "", "/ws");
  ASSERT_EQ(control.auth("listen-token").value("ok", false), true);
  const auto set = [&](const std::string& path, const nlohmann::json& value) {
    control.send({{"op", "set"}, {"path", path}, {"value", value}});
    for (;;) {
      const auto reply = nlohmann::json::parse(control.read());
      if (reply.value("op", "") == "set" || reply.value("op", "") == "error") return reply;
    }
  };
  const auto note = [&](const std::string& text) {
    control.send({{"op", "note"}, {"session", session}, {"track", track}, {"time", 1.0}, {"text", text}});
    for (;;) {
      const auto reply = nlohmann::json::parse(control.read());
      if (reply.value("op", "") == "note" && reply.contains("note_id")) return reply;
      if (reply.value("op", "") == "error") return reply;
    }
  };
  ASSERT_EQ(set("/chain/output/gain", -1.0).value("op", ""), "set");
  ASSERT_EQ(set("/snapshot/store", "A").value("op", ""), "set");
  ASSERT_EQ(set("/chain/output/gain", -3.0).value("op", ""), "set");
  ASSERT_EQ(set("/snapshot/store", "B").value("op", ""), "set");
  note("chain as stored in B");
  ASSERT_EQ(set("/chain/output/gain", -2.0).value("op", ""), "set");
  note("chain edited since");
  ASSERT_EQ(set("/monitor/compare", "A").value("op", ""), "set");
  note("hearing A");
  const auto snapshots = api("GET", base + "/snapshots");
  std::map<std::string, int> id_of;
  for (const auto& s : snapshots) id_of[s["name"].get<std::string>()] = s["id"].get<int>();
  const auto notes = api("GET", base + "/notes");
  ASSERT_EQ(notes.size(), 3u) << notes;
  std::map<std::string, nlohmann::json> by_text;
  for (const auto& n : notes) by_text[n["text"].get<std::string>()] = n;
  EXPECT_EQ(by_text["chain as stored in B"]["snapshot_id"], id_of["B"]);
  EXPECT_TRUE(by_text["chain edited since"]["snapshot_id"].is_null());
  EXPECT_EQ(by_text["hearing A"]["snapshot_id"], id_of["A"]);
  EXPECT_EQ(by_text["hearing A"]["compare_state"], "A");
}

// `lacquer ctl`'s output (stdout and stderr) and exit status.
std::pair<int, std::string> ctl(const std::string& args) {
  std::string out;
  FILE* pipe = popen((std::string(LACQUER_BINARY) + " ctl " + args + " 2>&1").c_str(), "r");
  char chunk[512];
  while (pipe != nullptr && std::fgets(chunk, sizeof chunk, pipe) != nullptr) out += chunk;
  const int status = pipe != nullptr ? pclose(pipe) : -1;
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

TEST_F(ListenTest, CtlFiresTriggersAndSaysWhenNoDaemonAnswers) {
  const std::string url = " --token listen-token --url ws://127.0.0.1:" + std::to_string(port_) + "/ws ";
  auto [stopped, stop_out] = ctl(url + "/transport/stop");
  EXPECT_EQ(stopped, 0) << stop_out;
  EXPECT_EQ(api("GET", "/api/state")["transport"]["playing"], false);
  auto [played, play_out] = ctl(url + "/transport/play");
  EXPECT_EQ(played, 0) << play_out;
  EXPECT_EQ(api("GET", "/api/state")["transport"]["playing"], true);
  auto [got, got_out] = ctl(url + "/monitor/compare");
  EXPECT_EQ(got, 0);
  EXPECT_EQ(got_out, "/monitor/compare chain\n");

  auto [refused, refused_out] = ctl("--token x --url ws://127.0.0.1:" + std::to_string(free_port()) + "/ws /transport/play");
  EXPECT_EQ(refused, 1);
  EXPECT_NE(refused_out.find("cannot reach the daemon at ws://127.0.0.1:"), std::string::npos) << refused_out;
  EXPECT_NE(refused_out.find("is `lacquer serve` running?"), std::string::npos) << refused_out;
  EXPECT_EQ(refused_out.find("boost"), std::string::npos) << refused_out;
}

}  // namespace
}  // namespace lacquer::test
