//! Outlets: the registrable domain that leave-outlet-out splits group pages by.

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

#[cfg(test)]
mod tests {
    use super::*;

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
