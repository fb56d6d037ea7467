// Note exports: exact text of the CSV sheet, Audacity labels and REAPER markers.
#include <gtest/gtest.h>

#include "lacquer/session/note_export.hpp"

namespace ls = lacquer::session;

namespace {

std::vector<ls::Note> sample_notes() {
  ls::Note a;
  a.id = 4;
  a.session_id = 1;
  a.track_id = 2;
  a.time_s = 92.0;
  a.author = "Mara";
  a.text = "limiter pumping, \"breathing\" on the snare";
  a.created_unix_ms = 1'700'000'000'123;  // 2023-11-14T22:13:20Z
  ls::Note b;
  b.id = 5;
  b.session_id = 1;
  b.track_id = 2;
  b.time_s = 3725.25;
  b.author = "Engineer";
  b.text = "fade\tlonger\nplease";
  b.status = ls::NoteStatus::resolved;
  b.resolved_by = "Engineer";
  b.created_unix_ms = 1'700'000'060'000;
  return {a, b};
}

}  // namespace

TEST(NoteExport, TrackTime) {
  EXPECT_EQ(ls::format_track_time(0.0), "0:00.000");
  EXPECT_EQ(ls::format_track_time(92.5), "1:32.500");
  EXPECT_EQ(ls::format_track_time(59.9996), "1:00.000");  // rounds to the millisecond
  EXPECT_EQ(ls::format_track_time(3725.25), "62:05.250");
}

TEST(NoteExport, CsvQuotesAndTitles) {
  ls::Track t;
  t.id = 2;
  t.title = "Opening, Part 1";
  const auto notes = sample_notes();
  const std::vector<ls::Track> tracks{t};
  EXPECT_EQ(ls::notes_csv(notes, tracks),
            "id,session_id,track_id,track,time_s,time,author,status,text,created,resolved_by\r\n"
            "4,1,2,\"Opening, Part 1\",92.000,1:32.000,Mara,open,"
            "\"limiter pumping, \"\"breathing\"\" on the snare\",2023-11-14T22:13:20Z,\r\n"
            "5,1,2,\"Opening, Part 1\",3725.250,62:05.250,Engineer,resolved,"
            "\"fade\tlonger\nplease\",2023-11-14T22:14:20Z,Engineer\r\n");
}

TEST(NoteExport, AudacityLabels) {
  const auto notes = sample_notes();
  EXPECT_EQ(ls::notes_audacity_labels(notes),
            "92.000000\t92.000000\tMara: limiter pumping, \"breathing\" on the snare\n"
            "3725.250000\t3725.250000\tEngineer: fade longer please\n");
}

TEST(NoteExport, ReaperMarkers) {
  const auto notes = sample_notes();
  EXPECT_EQ(ls::notes_reaper_markers(notes),
            "#,Name,Start,End,Length\n"
            "M1,\"Mara: limiter pumping, \"\"breathing\"\" on the snare\",1:32.000,,\n"
            "M2,Engineer: fade longer please,62:05.250,,\n");
}
