#include "cd.hpp"

#include <sndfile.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <memory>
#include <sstream>

#include "sound_io.hpp"
#include "timeline.hpp"

namespace lacquer::daemon::deliver {

namespace fs = std::filesystem;

namespace {

std::int64_t floor_frame(std::int64_t s) { return s / kCdFrameSamples * kCdFrameSamples; }
std::int64_t ceil_frame(std::int64_t s) { return floor_frame(s + kCdFrameSamples - 1); }
std::int64_t seconds_on_frames(double s) { return static_cast<std::int64_t>(std::llround(s * 75.0)) * kCdFrameSamples; }

std::string clock(std::int64_t samples) {
  const auto s = samples / kCdRate;
  char buf[32];
  std::snprintf(buf, sizeof buf, "%lld:%02lld", static_cast<long long>(s / 60), static_cast<long long>(s % 60));
  return buf;
}

std::string seconds(std::int64_t samples) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f s", static_cast<double>(samples) / kCdRate);
  return buf;
}

// CUE strings are quoted and have no escapes.
std::string quoted(std::string s) {
  std::replace(s.begin(), s.end(), '"', '\'');
  return "\"" + s + "\"";
}

}  // namespace

CdLayout lay_out_cd(const Release& release, const std::vector<std::int64_t>& frames) {
  const auto& tracks = release.tracks;
  if (tracks.size() > static_cast<std::size_t>(kCdMaxTracks)) {
    throw DeliverError("cd: " + std::to_string(tracks.size()) + " tracks; a CD holds at most 99 (Red Book)");
  }
  CdLayout layout;
  for (std::size_t i = 0; i < tracks.size(); ++i) {
    const ReleaseTrack& t = tracks[i];
    const std::int64_t gap = seconds_on_frames(t.pregap_s);
    CdPlace p;
    if (i == 0) {
      p.index00 = gap > 0 ? 0 : -1;
      p.index01 = gap;
    } else if (t.crossfade_s > 0.0) {
      CdPlace& prev = layout.tracks[i - 1];
      const std::int64_t want =
          std::min({static_cast<std::int64_t>(std::llround(t.crossfade_s * kCdRate)), frames[i], frames[i - 1]});
      p.index01 = floor_frame(prev.audio_end - want);
      if (p.index01 <= prev.index01) {
        throw DeliverError(track_name(t) + ": crossfade_s: the crossfade reaches back to the start of the previous track");
      }
      if (i >= 2 && p.index01 < layout.tracks[i - 2].audio_end) {
        throw DeliverError(track_name(t) + ": crossfade_s: the crossfade reaches back into " +
                           track_name(tracks[i - 2]) + ", which is still fading out");
      }
      const std::int64_t overlap = prev.audio_end - p.index01;
      prev.fade_out = overlap;
      p.fade_in = std::min(overlap, frames[i]);
      if (gap > 0) {
        p.index00 = p.index01 - gap;
        if (p.index00 <= prev.index01) {
          throw DeliverError(track_name(t) + ": pregap_s: the pregap reaches back to the start of the previous track");
        }
      }
    } else {
      const std::int64_t next = ceil_frame(layout.tracks[i - 1].audio_end);
      p.index00 = gap > 0 ? next : -1;
      p.index01 = next + gap;
    }
    p.audio_start = p.index01;
    p.audio_end = p.audio_start + frames[i];
    layout.tracks.push_back(p);
  }
  for (const auto& p : layout.tracks) layout.total = std::max(layout.total, ceil_frame(p.audio_end));

  const auto first_index = [](const CdPlace& p) { return p.index00 >= 0 ? p.index00 : p.index01; };
  for (std::size_t i = 0; i < layout.tracks.size(); ++i) {
    CdPlace& p = layout.tracks[i];
    const bool last = i + 1 == layout.tracks.size();
    p.file_start = i == 0 ? 0 : p.index01;
    p.file_end = last ? layout.total : layout.tracks[i + 1].index01;
    const std::int64_t span = (last ? layout.total : first_index(layout.tracks[i + 1])) - first_index(p);
    if (span < static_cast<std::int64_t>(kCdMinTrackS * kCdRate)) {
      throw DeliverError(track_name(release.tracks[i]) + ": " + seconds(span) +
                         " on the disc (pregap included); a CD track must last at least 4 s (Red Book)");
    }
  }
  if (layout.total > static_cast<std::int64_t>(kCdMaxTotalS * kCdRate)) {
    throw DeliverError("cd: the album lasts " + clock(layout.total) + " on the disc; a CD holds at most 79:57");
  }
  return layout;
}

std::string cue_time(std::int64_t samples) {
  const std::int64_t f = samples / kCdFrameSamples;
  char buf[32];
  std::snprintf(buf, sizeof buf, "%02lld:%02lld:%02lld", static_cast<long long>(f / (75 * 60)),
                static_cast<long long>(f / 75 % 60), static_cast<long long>(f % 75));
  return buf;
}

std::string cue_sheet(const Release& release, const CdLayout& layout, const std::string& image_name) {
  std::string s = "REM COMMENT \"lacquer deliver\"\n";
  if (release.year) s += "REM DATE " + std::to_string(*release.year) + "\n";
  // CATALOG takes 13 digits: a UPC-A is the EAN-13 with a leading zero.
  if (!release.catalogue.empty()) {
    s += "CATALOG " + std::string(13 - release.catalogue.size(), '0') + release.catalogue + "\n";
  }
  if (!release.artist.empty()) s += "PERFORMER " + quoted(release.artist) + "\n";
  if (!release.title.empty()) s += "TITLE " + quoted(release.title) + "\n";
  s += "FILE " + quoted(image_name) + " WAVE\n";
  for (std::size_t i = 0; i < release.tracks.size(); ++i) {
    const ReleaseTrack& t = release.tracks[i];
    const CdPlace& p = layout.tracks[i];
    char num[24];
    std::snprintf(num, sizeof num, "%02zu", i + 1);
    s += std::string("  TRACK ") + num + " AUDIO\n";
    if (!t.title.empty()) s += "    TITLE " + quoted(t.title) + "\n";
    const std::string& performer = t.performer.empty() ? release.artist : t.performer;
    if (!performer.empty()) s += "    PERFORMER " + quoted(performer) + "\n";
    if (!t.songwriter.empty()) s += "    SONGWRITER " + quoted(t.songwriter) + "\n";
    if (!t.isrc.empty()) s += "    ISRC " + t.isrc + "\n";
    if (p.index00 >= 0) s += "    INDEX 00 " + cue_time(p.index00) + "\n";
    s += "    INDEX 01 " + cue_time(p.index01) + "\n";
  }
  return s;
}

std::vector<std::string> read_cue_isrcs(const fs::path& cue) {
  std::ifstream in(cue);
  std::vector<std::string> isrcs;
  for (std::string line; std::getline(in, line);) {
    std::istringstream words(line);
    std::string command;
    words >> command;  // a command opens each line; titles come after one, quoted
    if (command == "TRACK") isrcs.emplace_back();
    if (command == "ISRC" && !isrcs.empty()) words >> isrcs.back();
  }
  return isrcs;
}

void write_cd_audio(const std::vector<fs::path>& renders, const CdLayout& layout, dsp::DitherType dither,
                    const fs::path& image, const std::vector<fs::path>& track_files) {
  constexpr std::int64_t kBlock = TimelineMixer::kMaxBlock;
  std::vector<Placement> places;
  for (const CdPlace& p : layout.tracks) places.push_back({p.audio_start, p.audio_end, p.fade_in, p.fade_out});
  TimelineMixer mixer(renders, std::move(places));
  SoundFile out = SoundFile::create(image, kCdRate, SF_FORMAT_WAV | SF_FORMAT_PCM_16);
  SoundFile piece;
  std::size_t piece_index = 0;

  dsp::Dither quantiser;
  quantiser.prepare(kCdRate);
  quantiser.set(dither, 16);
  std::array<std::vector<double>, 2> mix;
  for (auto& m : mix) m.resize(kBlock);
  std::vector<short> pcm(2 * kBlock);

  for (std::int64_t b0 = 0; b0 < layout.total; b0 += kBlock) {
    const std::int64_t b1 = std::min(layout.total, b0 + kBlock);
    mixer.mix(b0, b1, mix[0].data(), mix[1].data());
    const auto frames = static_cast<std::uint32_t>(b1 - b0);
    quantiser.process(mix[0].data(), mix[1].data(), frames);
    for (std::uint32_t k = 0; k < frames; ++k) {
      pcm[2 * k] = static_cast<short>(std::lrint(mix[0][k] * 32768.0));
      pcm[2 * k + 1] = static_cast<short>(std::lrint(mix[1][k] * 32768.0));
    }
    out.write(pcm.data(), frames);
    // The same samples into the track files, cut at each track's INDEX 01.
    for (std::int64_t t = b0; t < b1;) {
      const CdPlace& p = layout.tracks[piece_index];
      if (!piece) piece = SoundFile::create(track_files[piece_index], kCdRate, SF_FORMAT_WAV | SF_FORMAT_PCM_16);
      const std::int64_t upto = std::min(b1, p.file_end);
      piece.write(pcm.data() + 2 * (t - b0), upto - t);
      t = upto;
      if (upto == p.file_end) {
        piece.close();
        ++piece_index;
      }
    }
  }
  out.close();
}

}  // namespace lacquer::daemon::deliver
