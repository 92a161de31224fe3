/** Options of LevelController; times in seconds of audio (the device clock), trims in ppm. */
export interface LevelControllerOptions {
  /**
   * Natural period of the control loop, s: how fast a level error is worked off. Default 300: a 1 ms error
   * trims the ratio by about 34 ppm, and a 300 ppm drift settles within a few minutes.
   */
  loopPeriodS?: number;
  /** Damping ratio of the loop. Default 0.8 (little overshoot). */
  damping?: number;
  /**
   * Time constant of the lowpass on the measured level, s; hides arrival jitter from the ratio (bursts of
   * tens of ms on a loaded machine). Default 5.
   */
  levelSmoothingS?: number;
  /** Largest ratio trim, ppm; bounds the pitch change (1000 ppm = 1.7 cents). Default 1000. */
  maxTrimPpm?: number;
  /**
   * The integral (the learned drift) only moves while the level is within this of the target, s. A large error
   * (start-up, a jump of the target, a burst) is worked off by the proportional term alone, so it does not wind
   * the integral up into a long overshoot. It must exceed the largest drift divided by the proportional gain
   * (300 ppm / 34 ppm per ms = 9 ms with the defaults). Default 0.02.
   */
  integrationBandS?: number;
  /**
   * Audio time after a start (or reset) during which the integral stays at 0, s: the first seconds hold
   * connection and device start-up bursts, not drift (300 ppm moves the level by only 3 ms in 10 s, which the
   * proportional term holds meanwhile). Default 10.
   */
  integrationDelayS?: number;
}

/**
 * A PI controller from buffer level to resampling ratio: the playout reads `ratio` input frames per device
 * frame, so a level above target reads faster and drains it, one below reads slower. The integral term learns
 * the clock drift between the two devices (it settles at their rate ratio); the proportional term corrects the
 * level. Gains follow from a second-order loop: ki = ω², kp = 2ζω with ω = 2π / loopPeriodS, applied to the
 * level error in seconds. The measured level is smoothed first, so ratio changes are slow and small (a few ppm
 * per second): pitch never wobbles audibly and a sine stays a sine.
 */
export class LevelController {
  readonly #kp: number;
  readonly #ki: number;
  readonly #alphaPerS: number;
  readonly #maxTrim: number;
  readonly #integrationBandS: number;
  readonly #integrationDelayS: number;
  #runningS = 0;
  #smoothedS = Number.NaN;
  #integral = 0;
  #trim = 0;

  /** @throws TypeError for bad options */
  constructor(options: LevelControllerOptions = {}) {
    const periodS = options.loopPeriodS ?? 300;
    const damping = options.damping ?? 0.8;
    const smoothingS = options.levelSmoothingS ?? 5;
    const maxTrimPpm = options.maxTrimPpm ?? 1000;
    if (!(periodS > 0) || !(damping > 0) || !(smoothingS > 0) || !(maxTrimPpm > 0)) {
      throw new TypeError('LevelController: loopPeriodS, damping, levelSmoothingS and maxTrimPpm must be positive');
    }
    const omega = (2 * Math.PI) / periodS;
    this.#kp = 2 * damping * omega;
    this.#ki = omega * omega;
    this.#alphaPerS = 1 / smoothingS;
    this.#maxTrim = maxTrimPpm * 1e-6;
    this.#integrationBandS = options.integrationBandS ?? 0.02;
    this.#integrationDelayS = options.integrationDelayS ?? 10;
  }

  /** Ratio trim in ppm (ratio = 1 + trim). */
  get trimPpm(): number {
    return this.#trim * 1e6;
  }

  /** The smoothed level the controller acts on, s (NaN before the first update). */
  get smoothedLevelS(): number {
    return this.#smoothedS;
  }

  /**
   * Takes one level measurement and returns the ratio to read with until the next one.
   * @param levelS buffered audio now, s
   * @param targetS wanted level, s
   * @param elapsedS audio time since the previous update, s (one device block)
   * @returns input frames to consume per output frame, within 1 ± maxTrimPpm
   */
  update(levelS: number, targetS: number, elapsedS: number): number {
    if (Number.isNaN(this.#smoothedS)) this.#smoothedS = levelS;
    const a = Math.min(1, elapsedS * this.#alphaPerS);
    this.#smoothedS += a * (levelS - this.#smoothedS);
    const errorS = this.#smoothedS - targetS;
    const max = this.#maxTrim;
    const integral = this.#integral + this.#ki * errorS * elapsedS;
    const trim = this.#kp * errorS + integral;
    // Anti-windup: the integral only moves near the target, and not while the output is clamped the same way.
    this.#runningS += elapsedS;
    const near = errorS < this.#integrationBandS && errorS > -this.#integrationBandS && this.#runningS >= this.#integrationDelayS;
    if (near && (trim < max || errorS < 0) && (trim > -max || errorS > 0)) this.#integral = integral;
    const out = this.#kp * errorS + this.#integral;
    this.#trim = out > max ? max : out < -max ? -max : out;
    return 1 + this.#trim;
  }

  /** Back to the state of a new controller (a new stream, or the device reopened). */
  reset(): void {
    this.#smoothedS = Number.NaN;
    this.#runningS = 0;
    this.#integral = 0;
    this.#trim = 0;
  }
}
