/** A stage `quell status` watches. */
export type StatusStage = 'capture' | 'inference' | 'playback';

export const STATUS_STAGES: readonly StatusStage[] = ['capture', 'inference', 'playback'];
