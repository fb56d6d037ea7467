// The file player on its own (as the audio thread calls it): playlist order, looping across
// tracks, and a playlist of empty tracks that must stop rather than spin.
#include <gtest/gtest.h>

#include <vector>

#include "audio/player.hpp"

namespace lacquer::daemon {
namespace {

PlayerTrack ramp(std::size_t frames, float start) {
  PlayerTrack t;
  for (std::size_t i = 0; i < frames; ++i) {
    t.left.push_back(start + static_cast<float>(i));
    t.right.push_back(-(start + static_cast<float>(i)));
  }
  return t;
}

TEST(Player, LoopsAcrossTracksInOrder) {
  Player player;
  std::vector<PlayerTrack> tracks;
  tracks.push_back(ramp(100, 0.0f));
  tracks.push_back(ramp(50, 1000.0f));
  player.load(std::move(tracks), 48000.0);
  player.set_loop(true);
  player.play();
  std::vector<float> l(400), r(400);
  ASSERT_TRUE(player.render(l.data(), r.data(), 400, 48000.0));
  EXPECT_EQ(l[99], 99.0f);
  EXPECT_EQ(l[100], 1000.0f);   // the second track follows
  EXPECT_EQ(l[149], 1049.0f);
  EXPECT_EQ(l[150], 0.0f);      // and the first again
  EXPECT_EQ(r[399], -99.0f);    // 400 = 150 + 150 + 100: the first track to its end
  EXPECT_EQ(player.status().track, 0);
  EXPECT_EQ(player.status().position_frames, 100u);
}

TEST(Player, AReorderKeepsTheTrackPlayingWhereItIs) {
  Player player;
  std::vector<PlayerTrack> tracks;
  tracks.push_back(ramp(100, 0.0f));     // A
  tracks.push_back(ramp(50, 1000.0f));   // B
  tracks.push_back(ramp(30, 2000.0f));   // C
  tracks[1].title = "B";
  player.load(std::move(tracks), 48000.0);
  player.set_loop(false);
  player.play();
  std::vector<float> l(120), r(120);
  ASSERT_TRUE(player.render(l.data(), r.data(), 120, 48000.0));
  EXPECT_EQ(l[119], 1019.0f);  // B, 20 frames in

  player.reorder({2, 1, 0});  // C, B, A
  EXPECT_EQ(player.tracks()[1].title, "B");
  std::vector<float> m(60), n(60);
  ASSERT_TRUE(player.render(m.data(), n.data(), 60, 48000.0));
  EXPECT_EQ(m[0], 1020.0f);   // B goes on where it was
  EXPECT_EQ(m[29], 1049.0f);
  EXPECT_EQ(m[30], 0.0f);     // then A, the track after B now
  EXPECT_EQ(player.status().track, 2);
  player.reorder({0, 1});     // the wrong size: ignored
  EXPECT_EQ(player.tracks().size(), 3u);
}

TEST(Player, APlaylistOfEmptyTracksStopsInsteadOfSpinning) {
  Player player;
  std::vector<PlayerTrack> tracks(3);
  player.load(std::move(tracks), 48000.0);
  player.set_loop(true);
  player.play();
  std::vector<float> l(256, 1.0f), r(256, 1.0f);
  EXPECT_TRUE(player.render(l.data(), r.data(), 256, 48000.0));  // returns: no endless loop
  for (std::size_t i = 0; i < l.size(); ++i) {
    ASSERT_EQ(l[i], 0.0f) << i;
    ASSERT_EQ(r[i], 0.0f) << i;
  }
  EXPECT_FALSE(player.status().playing);
}

}  // namespace
}  // namespace lacquer::daemon
