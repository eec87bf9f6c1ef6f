/** Shipped segment maps. Data only: adding a segment is adding a line here or in a custom JSON file. */
export interface SegmentRule {
  name: string;
  r?: [number, number];
  f?: [number, number];
  m?: [number, number];
  /** Explicit "rfm" cells, e.g. "334" (r=3, f=3, m=4). */
  cells?: string[];
}

export interface SegmentMap {
  name: string;
  description?: string;
  bins: 4 | 5;
  fallback: string;
  segments: SegmentRule[];
}

/** The classic 10-segment R x F partition (M ignored): covers all 25 R x F cells, so no fallback is used. */
const rfm10: SegmentMap = {
  name: 'rfm10',
  description: 'Classic 10-segment R x F grid (monetary not used)',
  bins: 5,
  fallback: 'Other',
  segments: [
    { name: 'Champions', r: [5, 5], f: [4, 5] },
    { name: 'Loyal', r: [3, 4], f: [4, 5] },
    { name: 'Potential Loyalists', r: [4, 5], f: [2, 3] },
    { name: 'New', r: [5, 5], f: [1, 1] },
    { name: 'Promising', r: [4, 4], f: [1, 1] },
    { name: 'Need Attention', r: [3, 3], f: [3, 3] },
    { name: 'About To Sleep', r: [3, 3], f: [1, 2] },
    { name: 'At Risk', r: [1, 2], f: [3, 4] },
    { name: "Can't Lose Them", r: [1, 2], f: [5, 5] },
    { name: 'Hibernating', r: [1, 2], f: [1, 2] },
  ],
};

/** The R `rfm` package's segment table (rfm 0.3.0 documentation example), with M; first match wins here. */
const rfmPackage: SegmentMap = {
  name: 'rfm-package',
  description: "R package rfm (0.3.0) rfm_segment() table",
  bins: 5,
  fallback: 'Others',
  segments: [
    { name: 'Champions', r: [5, 5], f: [5, 5], m: [5, 5] },
    { name: 'Potential Loyalist', r: [3, 5], f: [3, 5], m: [2, 5] },
    { name: 'Loyal Customers', r: [2, 4], f: [2, 4], m: [2, 4] },
    { name: 'Promising', r: [3, 4], f: [1, 3], m: [3, 5] },
    { name: 'New Customers', r: [4, 5], f: [1, 3], m: [1, 5] },
    { name: "Can't Lose Them", r: [1, 2], f: [3, 4], m: [4, 5] },
    { name: 'At Risk', r: [1, 2], f: [2, 5], m: [4, 5] },
    { name: 'Need Attention', r: [1, 3], f: [3, 5], m: [3, 5] },
    { name: 'About To Sleep', r: [2, 3], f: [1, 3], m: [1, 4] },
    { name: 'Lost', r: [1, 1], f: [1, 5], m: [1, 5] },
  ],
};

/** PyMC-Marketing's default quartile lists (rfm_segments), r/f/m scores 1-4, 4 = best; the rest is "Other". */
const pymcQuartiles: SegmentMap = {
  name: 'pymc-quartiles',
  description: 'PyMC-Marketing rfm_segments() default quartile lists',
  bins: 4,
  fallback: 'Other',
  segments: [
    { name: 'Premium Customer', cells: ['334', '443', '444', '344', '434', '433', '343', '333'] },
    { name: 'Repeat Customer', cells: ['244', '234', '232', '332', '143', '233', '243'] },
    {
      name: 'Top Spender',
      cells: ['424', '414', '144', '314', '324', '124', '224', '423', '413', '133', '323', '313', '134'],
    },
    { name: 'At Risk Customer', cells: ['422', '223', '212', '122', '222', '132', '322', '312', '412', '123', '214'] },
    { name: 'Inactive Customer', cells: ['411', '111', '113', '114', '112', '211', '311'] },
  ],
};

export const PRESETS: Record<string, SegmentMap> = {
  rfm10,
  'rfm-package': rfmPackage,
  'pymc-quartiles': pymcQuartiles,
};

/** Contacts without any purchase line up to the as-of date. */
export const PROSPECT_SEGMENT = 'prospect';
/**
 * Contacts with purchase lines up to the as-of date but no order (every ref nets to zero or below:
 * only returns, or orders fully refunded). Not prospects: their net revenue, often negative, is theirs,
 * and the segment table must add up to the store's net revenue.
 */
export const NO_NET_PURCHASE_SEGMENT = 'no net purchase';
