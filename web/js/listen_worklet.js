// The AudioWorklet side of live listening: decoded chunks arrive over the port, the
// JitterBuffer plays them out, and about 20 times a second the processor reports what it
// is playing (track time, compare state), how full it is and the RMS it rendered.

import { JitterBuffer } from './jitter_buffer.js';

const REPORT_EVERY_QUANTA = 19;  // ~50 ms at 48 kHz

class ListenProcessor extends AudioWorkletProcessor {
  constructor() {
    super();
    this.buffer = new JitterBuffer(sampleRate);
    this.quanta = 0;
    this.sumSquares = 0;
    this.rmsFrames = 0;
    this.rms = 0;
    this.port.onmessage = (e) => {
      const m = e.data;
      if (m.type === 'chunk') this.buffer.push(m.left, m.right, m.arrivalS, m);
    };
  }

  process(inputs, outputs) {
    const out = outputs[0];
    const l = out[0], r = out[1] || out[0];
    const head = this.buffer.playhead();
    const played = this.buffer.pull(l, r);
    for (let i = 0; i < l.length; ++i) this.sumSquares += 0.5 * (l[i] * l[i] + r[i] * r[i]);
    this.rmsFrames += l.length;
    if (++this.quanta >= REPORT_EVERY_QUANTA) {
      this.quanta = 0;
      this.rms = Math.sqrt(this.sumSquares / this.rmsFrames);
      this.sumSquares = 0;
      this.rmsFrames = 0;
      const b = this.buffer;
      this.port.postMessage({
        type: 'status',
        contextTime: currentTime,
        playing: played,
        head,
        bufferedFrames: b.buffered,
        targetFrames: b.targetFrames,
        jitterS: b.jitterS,
        rms: this.rms,
        stats: b.stats,
      });
    }
    return true;
  }
}

registerProcessor('lacquer-listen', ListenProcessor);
