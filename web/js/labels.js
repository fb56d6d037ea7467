// What the console calls a parameter and a choice. The schema names each value by its path
// ("/chain/input/dc_block") and explains it in its description (the controls' help text);
// people read a short name: "DC block". A schema entry's own `label`, when it has one, wins.

const NAMES = {
  attack: 'Attack', auto_makeup: 'Auto makeup', balance: 'Balance', bands: 'Bands', bits: 'Bits',
  bypass: 'Bypass', calibration: 'Calibration', ceiling: 'Ceiling', compare: 'Compare', dc_block: 'DC block',
  delay: 'Delay', detector: 'Detector', dim: 'Dim', dim_level: 'Dim level', dither: 'Dither', drive: 'Drive',
  enabled: 'On', eq: 'EQ', freq: 'Frequency', gain: 'Gain', hold: 'Hold', knee: 'Knee', left: 'Left',
  level: 'Level', link: 'Stereo link', lookahead: 'Lookahead', makeup: 'Makeup', match: 'Match loudness',
  match_on: 'Match on', mix: 'Mix', mode: 'Channels', mono: 'Mono', mono_below: 'Mono below', mute: 'Mute',
  polarity_left: 'Polarity L', polarity_right: 'Polarity R', preview: 'Preview', q: 'Q', ratio: 'Ratio',
  release: 'Release', right: 'Right', side_solo: 'Side solo', sidechain_hpf: 'Side-chain HPF', slope: 'Slope',
  solo: 'Solo', speakers: 'Speakers', threshold: 'Threshold', trim: 'Trim', type: 'Type', width: 'Width',
};

const CHOICES = {
  amazon: 'Amazon', apple: 'Apple', deezer: 'Deezer', fweighted: 'F-weighted', high_pass: 'high-pass',
  high_shelf: 'high shelf', lipshitz: 'Lipshitz', low_pass: 'low-pass', low_shelf: 'low shelf',
  mid_side: 'mid/side', rms: 'RMS', shibata: 'Shibata', short_term: 'short-term', spotify: 'Spotify',
  tidal: 'Tidal', tpdf: 'TPDF', youtube: 'YouTube',
};

/** "dc_block" → "DC block"; a name not in the table reads with its underscores as spaces. */
export function nameOf(id) {
  return NAMES[id] ?? id.replace(/_/g, ' ');
}

/** The label of `rel`, a path's segments below its group ("left/eq/1/freq" → "Left EQ 1
 *  frequency"): each named, all but the first in lower case. */
export function labelOfSegments(rel) {
  const words = rel.map((s, i) => {
    const name = nameOf(s);
    return i === 0 || /^[A-Z]{2}/.test(name) ? name : name.toLowerCase();
  });
  const text = words.join(' ');
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** The label of a schema entry: its own, or its path's last segment named. */
export function labelOf(entry) {
  return entry.label || labelOfSegments([entry.path.split('/').pop()]);
}

/** A choice as the console shows it: "mid_side" → "mid/side". */
export function choiceLabel(value) {
  return CHOICES[value] ?? String(value).replace(/_/g, ' ');
}
