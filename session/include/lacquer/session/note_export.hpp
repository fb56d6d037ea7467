#pragma once
// Notes as files other tools read: a CSV sheet, Audacity label tracks and REAPER
// marker lists. Times are in track time (seconds into the track, as heard).

#include <span>
#include <string>

#include "lacquer/session/records.hpp"

namespace lacquer::session {

/// RFC 4180 CSV, one row per note, header
/// `id,session_id,track_id,track,time_s,time,author,status,text,created,resolved_by`.
/// Track titles come from `tracks`; a note whose track is not there gets an empty title.
std::string notes_csv(std::span<const Note> notes, std::span<const Track> tracks);

/// An Audacity label track (File > Import > Labels): `start<TAB>end<TAB>label` lines,
/// point labels, seconds with six decimals. Import one file per track.
std::string notes_audacity_labels(std::span<const Note> notes);

/// A REAPER marker list (Region/Marker Manager > Import), header
/// `#,Name,Start,End,Length`, markers `M1,...` with start as m:ss.fff, the format the
/// manager uses when the ruler shows minutes:seconds.
std::string notes_reaper_markers(std::span<const Note> notes);

/// Seconds as m:ss.fff (minutes unbounded): 92.5 -> "1:32.500".
std::string format_track_time(double seconds);

}  // namespace lacquer::session
