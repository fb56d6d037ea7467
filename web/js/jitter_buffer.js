// The listener's playout buffer, kept free of any browser API so it runs in the AudioWorklet
// and under Node's test runner alike. Decoded stereo chunks go in with the track time of
// their first frame; the render callback pulls 128-frame quanta. The buffer holds a target
// depth that adapts to the measured arrival jitter (within 60..150 ms), skips ahead after a
// burst, refills after an underrun, and follows clock drift between the daemon's sound card
// and ours by dropping or repeating single frames, rarely enough to stay inaudible.

export const MIN_TARGET_S = 0.06;
export const MAX_TARGET_S = 0.15;

export class JitterBuffer {
  /**
   * @param sampleRate frames per second of both the stream and the output
   * @param capacityS  ring size; anything beyond it is dropped oldest-first
   */
  constructor(sampleRate, capacityS = 2.0) {
    this.sampleRate = sampleRate;
    this.capacity = Math.ceil(capacityS * sampleRate);
    this.left = new Float32Array(this.capacity);
    this.right = new Float32Array(this.capacity);
    this.writePos = 0;  // frames ever written (ring index = pos % capacity)
    this.readPos = 0;   // frames ever read
    // Where the track time jumps: [{pos, trackTime, compare, track}], oldest first.
    this.marks = [];
    this.targetFrames = Math.round(MIN_TARGET_S * sampleRate);
    this.jitterS = 0;       // smoothed deviation of arrival times from their expected spacing
    this.lastArrival = null;
    this.lastChunkS = 0;
    this.level = 0;          // smoothed buffered frames, for drift correction
    this.primed = false;     // playing out (false while filling to the target)
    this.dropEvery = 0;      // drop one frame every N read frames (0: off)
    this.repeatEvery = 0;    // repeat one frame every N read frames (0: off)
    this.sinceAdjust = 0;
    this.stats = { underruns: 0, skips: 0, dropped: 0, repeated: 0, overflow: 0, received: 0 };
  }

  get buffered() {
    return this.writePos - this.readPos;
  }

  /**
   * Appends a chunk. `arrivalS` is the receive time in seconds on any steady clock;
   * `meta` is {trackTime (frames), compare, track}.
   */
  push(left, right, arrivalS, meta) {
    const n = left.length;
    this.stats.received += n;
    this.measureJitter(arrivalS, n / this.sampleRate);
    const last = this.marks[this.marks.length - 1];
    const expected = last ? last.trackTime + (this.writePos - last.pos) : NaN;
    if (!last || meta.trackTime !== expected || meta.compare !== last.compare || meta.track !== last.track) {
      this.marks.push({ pos: this.writePos, trackTime: meta.trackTime, compare: meta.compare, track: meta.track });
    }
    for (let i = 0; i < n; ++i) {
      const k = (this.writePos + i) % this.capacity;
      this.left[k] = left[i];
      this.right[k] = right[i];
    }
    this.writePos += n;
    if (this.buffered > this.capacity) {
      this.stats.overflow += this.buffered - this.capacity;
      this.advance(this.buffered - this.capacity);
    }
    // A burst (a stall on the way, then everything at once) leaves far more than the
    // target queued: jump to the newest audio rather than stay late for good.
    if (this.primed && this.buffered > this.targetFrames * 2 + n) {
      this.stats.skips += 1;
      this.advance(this.buffered - this.targetFrames);
      this.level = this.buffered;
    }
  }

  measureJitter(arrivalS, chunkS) {
    if (this.lastArrival !== null) {
      const deviation = Math.abs(arrivalS - this.lastArrival - this.lastChunkS);
      // Rises fast on a late packet, decays over a few seconds of calm.
      const a = deviation > this.jitterS ? 0.3 : 0.01;
      this.jitterS += a * (deviation - this.jitterS);
    }
    this.lastArrival = arrivalS;
    this.lastChunkS = chunkS;
    const wanted = Math.min(Math.max(MIN_TARGET_S, 2.5 * this.jitterS + chunkS), MAX_TARGET_S);
    this.targetFrames = Math.round(wanted * this.sampleRate);
  }

  advance(n) {
    this.readPos += n;
    while (this.marks.length > 1 && this.marks[1].pos <= this.readPos) this.marks.shift();
  }

  /** Fills `outL`/`outR` (same length); returns false when it played silence. */
  pull(outL, outR) {
    const n = outL.length;
    if (!this.primed) {
      if (this.buffered < this.targetFrames) {
        outL.fill(0);
        outR.fill(0);
        return false;
      }
      this.primed = true;
      this.level = this.buffered;
    }
    if (this.buffered < n) {
      // Underrun: play what is left, then silence, and fill up to the target again.
      this.stats.underruns += 1;
      const have = this.buffered;
      this.copyOut(outL, outR, 0, have);
      outL.fill(0, have);
      outR.fill(0, have);
      this.primed = false;
      return false;
    }
    this.level += 0.002 * (this.buffered - this.level);
    this.planDrift();
    let i = 0;
    while (i < n) {
      if (this.buffered === 0) {
        outL.fill(0, i);
        outR.fill(0, i);
        break;
      }
      this.sinceAdjust += 1;
      if (this.dropEvery && this.sinceAdjust >= this.dropEvery && this.buffered > 1) {
        this.sinceAdjust = 0;
        this.stats.dropped += 1;
        this.advance(1);
      } else if (this.repeatEvery && this.sinceAdjust >= this.repeatEvery && i > 0) {
        this.sinceAdjust = 0;
        this.stats.repeated += 1;
        outL[i] = outL[i - 1];
        outR[i] = outR[i - 1];
        i += 1;
        continue;
      }
      this.copyOut(outL, outR, i, 1);
      i += 1;
    }
    return true;
  }

  /** Level more than a tolerance away from the target: correct by one frame in 2000 (0.05 %,
   *  far beyond any real clock error yet inaudible), or one in 500 when far off. */
  planDrift() {
    const error = this.level - this.targetFrames;
    const tolerance = 0.01 * this.sampleRate;
    this.dropEvery = 0;
    this.repeatEvery = 0;
    if (Math.abs(error) <= tolerance) return;
    const every = Math.abs(error) > 4 * tolerance ? 500 : 2000;
    if (error > 0) this.dropEvery = every;
    else this.repeatEvery = every;
  }

  copyOut(outL, outR, at, count) {
    for (let j = 0; j < count; ++j) {
      const k = (this.readPos + j) % this.capacity;
      outL[at + j] = this.left[k];
      outR[at + j] = this.right[k];
    }
    this.advance(count);
  }

  /** Track time (frames), compare state and track of the next frame to be played, or null. */
  playhead() {
    const m = this.marks[0];
    if (!m || this.readPos < m.pos) return null;
    return { trackTime: m.trackTime + (this.readPos - m.pos), compare: m.compare, track: m.track };
  }
}
