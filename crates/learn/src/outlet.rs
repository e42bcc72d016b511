//! Outlets: the registrable domain that leave-outlet-out splits group pages by, and the
//! folds drawn by outlet.

use std::collections::{BTreeMap, HashMap};

use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// The registrable domain of a host or URL, by the public suffix list: `blogs.wsj.com`,
/// `https://www.wsj.com/x` and `wsj.com` are all `wsj.com`. Anything that is not a domain
/// (a bare name, an IP address) is returned lowercased as it is.
pub fn outlet_of(host_or_url: &str) -> String {
    let s = host_or_url.trim().to_ascii_lowercase();
    let host = match s.split_once("://") {
        Some((_, rest)) => rest,
        None => &s,
    };
    let host = host
        .split(['/', '?', '#'])
        .next()
        .unwrap_or("")
        .rsplit('@')
        .next()
        .unwrap_or("");
    let host = host.split(':').next().unwrap_or("").trim_end_matches('.');
    match psl::domain_str(host) {
        Some(d) => d.to_string(),
        None => host.to_string(),
    }
}

/// Assign each page to one of `k` folds so that no outlet is in two folds. Outlets are
/// shuffled by `seed`, then each goes to the fold with the fewest blocks so far; `sizes`
/// are the pages' blocks.
pub fn folds_by_outlet(outlets: &[&str], sizes: &[usize], k: usize, seed: u64) -> Vec<usize> {
    let mut per_outlet: BTreeMap<&str, usize> = BTreeMap::new();
    for (o, s) in outlets.iter().zip(sizes) {
        *per_outlet.entry(o).or_default() += s;
    }
    let mut order: Vec<(&str, usize)> = per_outlet.into_iter().collect();
    order.shuffle(&mut ChaCha8Rng::seed_from_u64(seed));
    let mut load = vec![0usize; k.max(1)];
    let mut fold_of: HashMap<&str, usize> = HashMap::new();
    for (o, s) in order {
        let f = (0..load.len()).min_by_key(|&f| (load[f], f)).unwrap_or(0);
        load[f] += s.max(1);
        fold_of.insert(o, f);
    }
    outlets.iter().map(|o| fold_of[o]).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_never_split_an_outlet_and_are_balanced() {
        let outlets = ["a", "b", "a", "c", "d", "b", "e", "f"];
        let sizes = [10, 10, 10, 10, 10, 10, 10, 10];
        let folds = folds_by_outlet(&outlets, &sizes, 3, 1);
        for i in 0..outlets.len() {
            for j in 0..outlets.len() {
                if outlets[i] == outlets[j] {
                    assert_eq!(folds[i], folds[j]);
                }
            }
        }
        let mut per = [0; 3];
        for f in &folds {
            per[*f] += 1;
        }
        assert!(per.iter().all(|&c| c >= 2), "{per:?}");
        assert_eq!(folds, folds_by_outlet(&outlets, &sizes, 3, 1));
    }

    #[test]
    fn subdomains_share_an_outlet() {
        assert_eq!(outlet_of("blogs.wsj.com"), "wsj.com");
        assert_eq!(outlet_of("https://www.WSJ.com/articles/x?y=1"), "wsj.com");
        assert_eq!(outlet_of("news.bbc.co.uk"), "bbc.co.uk");
        assert_eq!(
            outlet_of("http://user@pmo-sun.uoregon.edu:8080/~pmo/"),
            "uoregon.edu"
        );
        assert_eq!(outlet_of("localhost"), "localhost");
    }
}
