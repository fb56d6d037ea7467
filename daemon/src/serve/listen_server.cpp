#include "serve/listen_server.hpp"

#include "lacquer/control/ws_protocol.hpp"
#include "serve/prometheus.hpp"

#include <opus.h>
#include <soxr.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <deque>
#include <list>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/websocket.hpp>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

namespace lacquer::daemon {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;

namespace {

constexpr std::uint32_t kRate = 48000;
constexpr std::uint32_t kPacketFrames = 960;  // 20 ms
constexpr std::size_t kHeaderBytes = 24;
constexpr std::size_t kAuthFrameLimit = 4096;

struct PacketHeader {
  std::uint8_t compare = 0;
  std::uint8_t flags = 0;
  std::uint32_t sequence = 0;
  std::uint64_t track_time = 0;
  std::uint16_t track = 0;
};

void put_le(std::string& out, std::uint64_t value, int bytes) {
  for (int i = 0; i < bytes; ++i) out.push_back(static_cast<char>((value >> (8 * i)) & 0xff));
}

std::string make_packet(ListenCodec codec, const PacketHeader& h, const void* payload,
                        std::size_t size) {
  std::string out;
  out.reserve(kHeaderBytes + size);
  put_le(out, 1, 1);
  put_le(out, static_cast<std::uint8_t>(codec), 1);
  put_le(out, h.compare, 1);
  put_le(out, h.flags, 1);
  put_le(out, h.sequence, 4);
  put_le(out, h.track_time, 8);
  put_le(out, kPacketFrames, 2);
  put_le(out, h.track, 2);
  put_le(out, 0, 4);
  out.append(static_cast<const char*>(payload), size);
  return out;
}

}  // namespace

// Outlives the server while listeners still have handlers queued on the executor.
struct ListenServer::Shared {
  ListenOptions options;
  ListenTap* tap = nullptr;                       // cleared at stop()
  std::list<std::weak_ptr<Listener>> listeners;  // executor thread only
  ListenAuthenticator authenticator;
  std::optional<std::int64_t> open_session;  // executor thread only
  control::LogLimiter refused_log{1, std::chrono::seconds(10)};  // refused Origins
  bool stopped = false;
  std::atomic<int> opus_listeners{0};
  std::atomic<int> pcm_listeners{0};
  std::atomic<std::size_t> listener_count{0};
  std::atomic<std::uint64_t> packets_sent{0};
  std::atomic<std::uint64_t> packets_skipped{0};

  void listening_changed(int delta) {
    const std::size_t now = listener_count += static_cast<std::size_t>(delta);
    if (tap != nullptr) tap->active = now > 0;
  }
};

// --- one listener: auth, then a bounded queue of packets, one write in flight ---------------

class ListenServer::Listener : public std::enable_shared_from_this<Listener> {
 public:
  Listener(tcp::socket socket, std::shared_ptr<Shared> shared,
           std::shared_ptr<control::ConnectionTicket> ticket)
      : ws_(std::move(socket)),
        shared_(std::move(shared)),
        ticket_(std::move(ticket)),
        source_(ticket_->client_address()) {}

  ~Listener() {
    if (listening_) {
      (codec_ == ListenCodec::opus ? shared_->opus_listeners : shared_->pcm_listeners)--;
      shared_->listening_changed(-1);
    }
  }

  void accept(http::request<http::string_body> request) {
    const std::string origin(request[http::field::origin]);
    const std::string host(request[http::field::host]);
    ticket_->on_evict([weak = weak_from_this()] {
      if (auto self = weak.lock()) self->close();
    });
    if (!control::origin_allowed(origin, host, shared_->options.origins)) {
      std::uint64_t suppressed = 0;
      if (shared_->refused_log.allow(control::Clock::now(), suppressed)) {
        spdlog::warn("listen: refused a WebSocket from origin {} ({} more refused since the "
                     "last line)",
                     origin.substr(0, 200), suppressed);
      }
      auto response = std::make_shared<http::response<http::string_body>>(http::status::forbidden,
                                                                          request.version());
      response->set(http::field::content_type, "application/json");
      response->body() = R"({"error":"origin not allowed"})";
      response->prepare_payload();
      http::async_write(ws_.next_layer(), *response,
                        [self = shared_from_this(), response](beast::error_code, std::size_t) {
                          self->ws_.next_layer().close();
                        });
      return;
    }
    ws_.set_option(websocket::stream_base::timeout::suggested(beast::role_type::server));
    ws_.read_message_max(kAuthFrameLimit);
    // One deadline for the handshake and the auth message: pings do not extend it.
    beast::get_lowest_layer(ws_).expires_after(shared_->options.auth_deadline);
    ws_.async_accept(request, [self = shared_from_this()](beast::error_code ec) {
      if (ec) return;
      self->read_auth();
    });
  }

  void send(const std::shared_ptr<const std::string>& opus,
            const std::shared_ptr<const std::string>& pcm) {
    if (!listening_ || closed_) return;
    if (queue_.size() >= shared_->options.queue_packets) {
      // Skip ahead: the oldest audio is the least useful to a listener who fell behind.
      queue_.pop_front();
      shared_->packets_skipped++;
    }
    queue_.push_back(codec_ == ListenCodec::opus ? opus : pcm);
    if (!writing_) write_next();
  }

  void close() {
    asio::dispatch(ws_.get_executor(), [self = shared_from_this()] {
      self->closed_ = true;
      beast::get_lowest_layer(self->ws_).close();
    });
  }

  /// Ends the stream with a close frame saying why (after the write in flight, if any).
  void end(std::string reason) {
    asio::dispatch(ws_.get_executor(), [self = shared_from_this(), reason = std::move(reason)] {
      if (self->closed_) return;
      self->closed_ = true;
      self->end_reason_ = reason;
      if (!self->writing_) self->send_close();
    });
  }

  const control::Principal& principal() const noexcept { return principal_; }

  static bool entitled(const control::Principal& who, std::optional<std::int64_t> open_session) {
    if (who.role == control::Role::engineer) return true;
    return open_session && who.may_access(*open_session);
  }

 private:
  void read_auth() {
    ws_.async_read(buffer_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
      if (ec) return;
      self->on_auth();
    });
  }

  void on_auth() {
    beast::get_lowest_layer(ws_).expires_never();
    const std::string text = beast::buffers_to_string(buffer_.data());
    buffer_.consume(buffer_.size());
    std::optional<control::Principal> who;
    std::string codec_name = "opus";
    std::string code = "unauthorized";
    std::string error;
    try {
      const auto message = nlohmann::json::parse(text);
      if (message.value("op", "") != "auth" || !message.contains("token") ||
          !message["token"].is_string()) {
        error = "expected {\"op\":\"auth\",\"token\":...}";
      } else {
        codec_name = message.value("codec", "opus");
        if (codec_name != "opus" && codec_name != "pcm") error = "codec must be opus or pcm";
        if (error.empty() && shared_->authenticator) {
          who = shared_->authenticator(message["token"].get<std::string>(), source_);
        }
        if (error.empty() && !who) error = "invalid token";
        if (error.empty() && !entitled(*who, shared_->open_session)) {
          code = "forbidden";
          error = "not invited to the session that is open";
        }
      }
    } catch (const nlohmann::json::exception&) {
      error = "malformed JSON";
    }
    if (!error.empty()) {
      reply_and_close(nlohmann::json{{"op", "error"}, {"code", code}, {"message", error}});
      return;
    }

    principal_ = *who;
    ticket_->authenticated(who->role == control::Role::engineer);
    codec_ = codec_name == "opus" ? ListenCodec::opus : ListenCodec::pcm16;
    (codec_ == ListenCodec::opus ? shared_->opus_listeners : shared_->pcm_listeners)++;
    listening_ = true;
    shared_->listening_changed(+1);
    shared_->listeners.push_back(weak_from_this());
    ws_.binary(false);
    auto reply = std::make_shared<const std::string>(
        nlohmann::json{{"op", "auth"},
                       {"ok", true},
                       {"role", control::to_string(who->role)},
                       {"codec", codec_name},
                       {"sample_rate", kRate},
                       {"channels", 2},
                       {"frames_per_packet", kPacketFrames}}
            .dump());
    queue_.push_front(reply);
    write_next();
    read_until_closed();
  }

  void reply_and_close(const nlohmann::json& message) {
    auto text = std::make_shared<std::string>(message.dump());
    ws_.async_write(asio::buffer(*text), [self = shared_from_this(), text](beast::error_code ec,
                                                                           std::size_t) {
      if (ec) return;
      self->ws_.async_close(websocket::close_code::policy_error, [self](beast::error_code) {});
    });
  }

  // Listeners send nothing after auth; reading keeps pings and the close handshake working.
  void read_until_closed() {
    ws_.async_read(buffer_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
      self->buffer_.consume(self->buffer_.size());
      if (ec) {
        self->closed_ = true;
        return;
      }
      self->read_until_closed();
    });
  }

  void send_close() {
    ws_.async_close(websocket::close_reason(websocket::close_code::policy_error, end_reason_),
                    [self = shared_from_this()](beast::error_code) {
                      beast::get_lowest_layer(self->ws_).close();
                    });
  }

  void write_next() {
    if (queue_.empty() || closed_) {
      writing_ = false;
      if (closed_ && !end_reason_.empty()) send_close();
      return;
    }
    writing_ = true;
    auto packet = queue_.front();
    queue_.pop_front();
    const bool is_text = !packet->empty() && packet->front() == '{';
    ws_.binary(!is_text);
    ws_.async_write(asio::buffer(*packet),
                    [self = shared_from_this(), packet, is_text](beast::error_code ec, std::size_t) {
                      if (ec) {
                        self->closed_ = true;
                        self->writing_ = false;
                        return;
                      }
                      if (!is_text) self->shared_->packets_sent++;
                      self->write_next();
                    });
  }

  websocket::stream<beast::tcp_stream> ws_;
  std::shared_ptr<Shared> shared_;
  std::shared_ptr<control::ConnectionTicket> ticket_;  // this connection's place in the gate
  beast::flat_buffer buffer_;
  std::deque<std::shared_ptr<const std::string>> queue_;
  std::string source_;
  control::Principal principal_;  // set at auth
  std::string end_reason_;        // a close frame to send once the write in flight is done
  ListenCodec codec_ = ListenCodec::opus;
  bool listening_ = false;
  bool writing_ = false;
  bool closed_ = false;
};

// --- the encoder thread: tap ring -> 48 kHz -> 20 ms packets, encoded once -------------------

class ListenServer::Encoder {
 public:
  using Publish = std::function<void(std::shared_ptr<const std::string> opus,
                                     std::shared_ptr<const std::string> pcm)>;

  Encoder(ListenTap& tap, Shared& shared, int bitrate, Publish publish)
      : tap_(tap), shared_(shared), publish_(std::move(publish)) {
    int error = 0;
    opus_ = opus_encoder_create(kRate, 2, OPUS_APPLICATION_AUDIO, &error);
    if (error != OPUS_OK) throw std::runtime_error("cannot create the Opus encoder");
    opus_encoder_ctl(opus_, OPUS_SET_BITRATE(bitrate));
    opus_encoder_ctl(opus_, OPUS_SET_COMPLEXITY(8));
    opus_encoder_ctl(opus_, OPUS_SET_SIGNAL(OPUS_SIGNAL_MUSIC));
  }

  ~Encoder() {
    stop();
    if (resampler_ != nullptr) soxr_delete(resampler_);
    opus_encoder_destroy(opus_);
  }

  void start() {
    running_ = true;
    thread_ = std::thread([this] { run(); });
  }

  void stop() {
    running_ = false;
    if (thread_.joinable()) thread_.join();
  }

 private:
  void run() {
    std::vector<float> chunk(8192);
    while (running_) {
      while (const auto marker = tap_.markers.pop()) markers_.push_back(*marker);
      const std::size_t got = tap_.samples.pop(std::span<float>(chunk));
      if (got == 0) {
        std::this_thread::sleep_for(std::chrono::milliseconds(4));
        continue;
      }
      const std::size_t frames = got / 2;
      consume(chunk.data(), frames);
      tap_frames_ += frames;
    }
  }

  // Appends source-rate frames, resampling to 48 kHz when the server runs at another rate.
  void consume(const float* interleaved, std::size_t frames) {
    const std::uint32_t rate = markers_.empty() ? kRate : markers_.back().sample_rate;
    if (rate == kRate) {
      pending_.insert(pending_.end(), interleaved, interleaved + 2 * frames);
    } else {
      if (resampler_ == nullptr || resampler_rate_ != rate) {
        if (resampler_ != nullptr) soxr_delete(resampler_);
        soxr_error_t error = nullptr;
        const soxr_quality_spec_t quality = soxr_quality_spec(SOXR_HQ, 0);
        resampler_ = soxr_create(rate, kRate, 2, &error, nullptr, &quality, nullptr);
        resampler_rate_ = rate;
      }
      const std::size_t room = static_cast<std::size_t>(
          std::ceil(static_cast<double>(frames) * kRate / rate)) + 16;
      std::vector<float> out(2 * room);
      std::size_t done = 0;
      soxr_process(resampler_, interleaved, frames, nullptr, out.data(), room, &done);
      pending_.insert(pending_.end(), out.begin(), out.begin() + static_cast<long>(2 * done));
    }
    while (pending_.size() >= 2 * kPacketFrames) {
      emit();
      pending_.erase(pending_.begin(), pending_.begin() + 2 * kPacketFrames);
    }
  }

  void emit() {
    const std::uint32_t rate = markers_.empty() ? kRate : markers_.back().sample_rate;
    // The packet's first frame in the tapped (source-rate) stream.
    const auto source_frame = static_cast<std::uint64_t>(
        static_cast<double>(packets_ * kPacketFrames) * rate / kRate);
    while (markers_.size() > 1 && markers_[1].tap_frame <= source_frame) markers_.pop_front();
    PacketHeader header;
    header.sequence = static_cast<std::uint32_t>(packets_);
    if (!markers_.empty()) {
      const TapMarker& m = markers_.front();
      const std::int64_t advance =
          m.playing ? static_cast<std::int64_t>(source_frame - std::min(source_frame, m.tap_frame)) : 0;
      const std::int64_t track_frame = std::max<std::int64_t>(0, m.track_frame + advance);
      header.track_time = static_cast<std::uint64_t>(
          std::llround(static_cast<double>(track_frame) * kRate / m.sample_rate));
      header.compare = m.compare;
      header.flags = m.playing ? 1 : 0;
      header.track = static_cast<std::uint16_t>(std::max(0, m.track));
    }
    ++packets_;

    std::shared_ptr<const std::string> opus;
    std::shared_ptr<const std::string> pcm;
    if (shared_.opus_listeners.load() > 0) {
      unsigned char encoded[1500];
      const opus_int32 bytes =
          opus_encode_float(opus_, pending_.data(), kPacketFrames, encoded, sizeof encoded);
      if (bytes > 0) {
        opus = std::make_shared<const std::string>(
            make_packet(ListenCodec::opus, header, encoded, static_cast<std::size_t>(bytes)));
      }
    }
    if (shared_.pcm_listeners.load() > 0) {
      std::vector<std::int16_t> samples(2 * kPacketFrames);
      for (std::size_t i = 0; i < samples.size(); ++i) {
        const float clipped = std::clamp(pending_[i], -1.0f, 1.0f);
        samples[i] = static_cast<std::int16_t>(std::lrint(clipped * 32767.0f));
      }
      pcm = std::make_shared<const std::string>(make_packet(
          ListenCodec::pcm16, header, samples.data(), samples.size() * sizeof(std::int16_t)));
    }
    if (opus || pcm) publish_(std::move(opus), std::move(pcm));
  }

  ListenTap& tap_;
  Shared& shared_;
  Publish publish_;
  OpusEncoder* opus_ = nullptr;
  soxr_t resampler_ = nullptr;
  std::uint32_t resampler_rate_ = 0;
  std::deque<TapMarker> markers_;  // newest last; front is the one covering the next packet
  std::vector<float> pending_;     // 48 kHz interleaved frames not yet packetized
  std::uint64_t tap_frames_ = 0;
  std::uint64_t packets_ = 0;
  std::atomic<bool> running_{false};
  std::thread thread_;
};

// --- the server ----------------------------------------------------------------------------

ListenServer::ListenServer(asio::io_context& io, ListenTap& tap, ListenOptions options)
    : io_(io), tap_(tap), shared_(std::make_shared<Shared>()) {
  shared_->options = std::move(options);
  shared_->tap = &tap_;
  encoder_ = std::make_unique<Encoder>(
      tap_, *shared_, shared_->options.opus_bitrate,
      [this](std::shared_ptr<const std::string> opus, std::shared_ptr<const std::string> pcm) {
        asio::post(io_, [shared = shared_, opus = std::move(opus), pcm = std::move(pcm)] {
          for (auto it = shared->listeners.begin(); it != shared->listeners.end();) {
            if (auto listener = it->lock()) {
              listener->send(opus, pcm);
              ++it;
            } else {
              it = shared->listeners.erase(it);
            }
          }
        });
      });
}

ListenServer::~ListenServer() { stop(); }

void ListenServer::attach(control::HttpServer& http) {
  http.upgrade_route("/listen", [this](tcp::socket socket, http::request<http::string_body> request,
                                       std::shared_ptr<control::ConnectionTicket> ticket) {
    if (shared_->stopped) return;
    std::make_shared<Listener>(std::move(socket), shared_, std::move(ticket))
        ->accept(std::move(request));
  });
}

void ListenServer::set_authenticator(ListenAuthenticator authenticator) {
  shared_->authenticator = std::move(authenticator);
}

void ListenServer::set_open_session(std::optional<std::int64_t> session_id) {
  shared_->open_session = session_id;
  for (auto& weak : shared_->listeners) {
    auto listener = weak.lock();
    if (listener && !Listener::entitled(listener->principal(), session_id)) {
      listener->end("not invited to the session now open");
    }
  }
}

void ListenServer::close_if(const std::function<bool(const control::Principal&)>& matches) {
  for (auto& weak : shared_->listeners) {
    auto listener = weak.lock();
    if (listener && matches(listener->principal())) listener->end("access revoked");
  }
}

void ListenServer::start() { encoder_->start(); }

void ListenServer::stop() {
  if (shared_->stopped) return;
  shared_->stopped = true;
  encoder_->stop();
  tap_.active = false;
  shared_->tap = nullptr;
  for (auto& weak : shared_->listeners) {
    if (auto listener = weak.lock()) listener->close();
  }
  shared_->listeners.clear();
}

std::size_t ListenServer::listeners() const noexcept { return shared_->listener_count.load(); }
std::uint64_t ListenServer::packets_sent() const noexcept { return shared_->packets_sent.load(); }
std::uint64_t ListenServer::packets_skipped() const noexcept {
  return shared_->packets_skipped.load();
}

std::string ListenServer::metrics() const {
  return prometheus_metric("listeners", "gauge", "Remote listeners on /listen",
                           static_cast<double>(listeners())) +
         prometheus_metric("listen_packets_total", "counter", "Audio packets sent to listeners",
                           static_cast<double>(packets_sent())) +
         prometheus_metric("listen_skipped_total", "counter", "Packets a slow listener skipped",
                           static_cast<double>(packets_skipped())) +
         prometheus_metric("listen_overruns_total", "counter",
                           "Tapped frames dropped before encoding",
                           static_cast<double>(tap_.overruns.load()));
}

}  // namespace lacquer::daemon
