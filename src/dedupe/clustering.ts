/**
 * Step 5, clustering: pairs at or above the threshold join their contacts (connected components), then
 * each cluster is checked against chaining (A~B and B~C but A and C clearly different people): every
 * member must reach the lower `chainThreshold` against the cluster's best-connected record, or it
 * leaves, and the ones that left are clustered again among themselves.
 */

export interface ScoredPair {
  a: number;
  b: number;
  probability: number;
}

export interface Cluster {
  /** The best-connected member (highest sum of probabilities to the others). */
  centre: number;
  members: number[];
}

class UnionFind {
  private readonly parent = new Map<number, number>();
  find(x: number): number {
    let root = x;
    while (this.parent.has(root) && this.parent.get(root) !== root) root = this.parent.get(root)!;
    let node = x;
    while (node !== root) {
      const next = this.parent.get(node) ?? root;
      this.parent.set(node, root);
      node = next;
    }
    return root;
  }
  union(a: number, b: number): void {
    const ra = this.find(a);
    const rb = this.find(b);
    if (ra !== rb) this.parent.set(Math.max(ra, rb), Math.min(ra, rb));
  }
}

interface Component {
  members: number[];
  edges: ScoredPair[];
}

/** Connected components, each with its own edges (so a cluster's work is proportional to its size). */
function components(pairs: ScoredPair[]): Component[] {
  const uf = new UnionFind();
  for (const p of pairs) uf.union(p.a, p.b);
  const groups = new Map<number, { members: Set<number>; edges: ScoredPair[] }>();
  for (const p of pairs) {
    const root = uf.find(p.a);
    let g = groups.get(root);
    if (!g) groups.set(root, (g = { members: new Set(), edges: [] }));
    g.members.add(p.a).add(p.b);
    g.edges.push(p);
  }
  return [...groups.values()].map((g) => ({ members: [...g.members].sort((x, y) => x - y), edges: g.edges }));
}

/**
 * `pairs` must all be at or above the threshold. `pairProbability(a, b)` scores any two members (the
 * centre and a member need not have been a candidate pair).
 */
export function cluster(pairs: ScoredPair[], chainThreshold: number, pairProbability: (a: number, b: number) => number): Cluster[] {
  const out: Cluster[] = [];
  let pending = components(pairs);
  while (pending.length > 0) {
    const next: Component[] = [];
    for (const { members, edges } of pending) {
      if (members.length < 2) continue;
      const strength = new Map<number, number>();
      for (const e of edges) {
        strength.set(e.a, (strength.get(e.a) ?? 0) + e.probability);
        strength.set(e.b, (strength.get(e.b) ?? 0) + e.probability);
      }
      const centre = members.reduce((best, x) => ((strength.get(x) ?? 0) > (strength.get(best) ?? 0) ? x : best), members[0]);
      const direct = new Map<number, number>();
      for (const e of edges) {
        if (e.a === centre) direct.set(e.b, e.probability);
        if (e.b === centre) direct.set(e.a, e.probability);
      }
      const kept = [centre];
      const left: number[] = [];
      for (const x of members) {
        if (x === centre) continue;
        const p = direct.get(x) ?? pairProbability(centre, x);
        (p >= chainThreshold ? kept : left).push(x);
      }
      out.push({ centre, members: kept.sort((x, y) => x - y) });
      if (left.length >= 2) {
        const leftSet = new Set(left);
        for (const g of components(edges.filter((e) => leftSet.has(e.a) && leftSet.has(e.b)))) next.push(g);
      }
    }
    pending = next;
  }
  return out.filter((c) => c.members.length >= 2);
}
