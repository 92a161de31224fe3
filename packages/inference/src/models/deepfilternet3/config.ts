/**
 * The DSP and network parameters of a DeepFilterNet3 export, read from its
 * `config.ini` (sections `[df]` and `[deepfilternet]`).
 */
export interface Dfn3Config {
  /** Rate the model was trained at, in Hz (48000). */
  sampleRateHz: number;
  /** STFT size in frames (960). */
  fftSize: number;
  /** STFT hop in frames (480, 10 ms). */
  hopSize: number;
  /** Number of ERB bands (32). */
  nbErb: number;
  /** Number of low frequency bins that get the deep filter (96). */
  nbDf: number;
  /** Minimum number of frequency bins per ERB band (2). */
  minNbErbFreqs: number;
  /** Time constant of the feature normalisation, in seconds (1). */
  normTauS: number;
  /** Smoothing factor of the feature normalisation derived from `normTauS` (0.99). */
  normAlpha: number;
  /** Deep filter order in STFT frames (5). */
  dfOrder: number;
  /** Deep filter lookahead in STFT frames (2). */
  dfLookahead: number;
  /** Lookahead of the network's convolutions in STFT frames (2). */
  convLookahead: number;
  /** Range of the local SNR estimate, in dB (-15..35). */
  lsnrMinDb: number;
  lsnrMaxDb: number;
}

/** Parses INI text into `section -> key -> value` (keys before any section go to ''). */
export function parseIni(text: string): Map<string, Map<string, string>> {
  const sections = new Map<string, Map<string, string>>();
  let current = new Map<string, string>();
  sections.set('', current);
  for (const rawLine of text.split(/\r?\n/)) {
    const line = rawLine.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const header = /^\[(.+)\]$/.exec(line);
    if (header) {
      current = sections.get(header[1]) ?? new Map<string, string>();
      sections.set(header[1], current);
      continue;
    }
    const eq = line.indexOf('=');
    if (eq < 0) continue;
    current.set(line.slice(0, eq).trim(), line.slice(eq + 1).trim());
  }
  return sections;
}

/**
 * libDF's alpha: exp(-hop/sr/tau), rounded to the fewest decimals (at least 3)
 * that keep it below 1, so the model sees the alpha it was trained with.
 */
export function normAlphaFromTau(sampleRateHz: number, hopSize: number, tauS: number): number {
  const alpha = Math.fround(Math.exp(-hopSize / sampleRateHz / tauS));
  let rounded = 1;
  for (let precision = 3; rounded >= 1; precision++) {
    const scale = 10 ** precision;
    rounded = Math.fround(Math.round(alpha * scale) / scale);
  }
  return rounded;
}

/**
 * Reads the parameters from `config.ini` text. Throws `TypeError` listing every
 * missing or non-numeric key at once.
 */
export function parseDfn3Config(text: string): Dfn3Config {
  const ini = parseIni(text);
  const problems: string[] = [];
  const num = (section: string, key: string, fallbackSection?: string): number => {
    const raw = ini.get(section)?.get(key) ?? (fallbackSection ? ini.get(fallbackSection)?.get(key) : undefined);
    const value = raw === undefined ? NaN : Number(raw);
    if (!Number.isFinite(value)) problems.push(`[${section}] ${key}`);
    return value;
  };
  const sampleRateHz = num('df', 'sr');
  const hopSize = num('df', 'hop_size');
  const normTauS = num('df', 'norm_tau');
  const explicitAlpha = ini.get('df')?.get('norm_alpha');
  const config: Dfn3Config = {
    sampleRateHz,
    fftSize: num('df', 'fft_size'),
    hopSize,
    nbErb: num('df', 'nb_erb'),
    nbDf: num('df', 'nb_df'),
    minNbErbFreqs: num('df', 'min_nb_erb_freqs'),
    normTauS,
    normAlpha:
      explicitAlpha !== undefined ? Number(explicitAlpha) : normAlphaFromTau(sampleRateHz, hopSize, normTauS),
    dfOrder: num('df', 'df_order', 'deepfilternet'),
    dfLookahead: num('df', 'df_lookahead', 'deepfilternet'),
    convLookahead: num('deepfilternet', 'conv_lookahead'),
    lsnrMinDb: num('df', 'lsnr_min'),
    lsnrMaxDb: num('df', 'lsnr_max'),
  };
  if (problems.length > 0) {
    throw new TypeError(`DeepFilterNet3 config.ini lacks numeric keys: ${problems.join(', ')}`);
  }
  if (config.fftSize !== 2 * config.hopSize) {
    throw new TypeError('DeepFilterNet3 config.ini: only fft_size = 2 * hop_size is supported');
  }
  if (config.convLookahead < config.dfLookahead) {
    throw new TypeError('DeepFilterNet3 config.ini: conv_lookahead must be >= df_lookahead');
  }
  return config;
}
