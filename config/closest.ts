/** "Did you mean ...?" for names: the nearest candidate by edit distance. Pure, no dependencies. */

/** Levenshtein distance (small strings only). */
export function editDistance(a: string, b: string): number {
    const prev = Array.from({ length: b.length + 1 }, (_, i) => i);
    for (let i = 1; i <= a.length; i++) {
        let diag = prev[0];
        prev[0] = i;
        for (let j = 1; j <= b.length; j++) {
            const tmp = prev[j];
            prev[j] = Math.min(prev[j] + 1, prev[j - 1] + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
            diag = tmp;
        }
    }
    return prev[b.length];
}

/** The closest candidate within `maxDistance` edits, or undefined. Ties go to the first candidate. */
export function closest(value: string, candidates: Iterable<string>, maxDistance = 3): string | undefined {
    let best: string | undefined;
    let bestD = maxDistance + 1;
    for (const c of candidates) {
        const d = editDistance(value.toLowerCase(), c.toLowerCase());
        if (d < bestD) { best = c; bestD = d; }
    }
    return best;
}
