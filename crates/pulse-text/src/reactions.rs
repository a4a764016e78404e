//! Kinds of reaction: what a post *does* in a story — offers sympathy, warns, asks for donations,
//! reports who was hurt, reports what broke, vents anger, or passes on news.
//!
//! # Why seeded lexicons
//!
//! The groups a reader expects under a story ("sympathy and prayers", "warnings and advice", …)
//! are the information types that crisis-informatics studies found people post (Olteanu et al.,
//! CSCW 2015, whose CrisisLexT26 labels are the evaluation here). A short list of cue words per
//! type, in the languages of the datasets (English, Spanish, Italian, Portuguese, Tagalog), names
//! each group before any post is seen: groups are comparable from story to story, deterministic,
//! and a post costs one tokenization and a few hash lookups. Clustering the posts' term vectors
//! instead finds the story's sub-events (the suspect, the plant) rather than kinds of reaction,
//! and needs a label afterwards. The lists were written once from the type definitions and
//! measured on CrisisLexT26 without tuning (`cargo run --release -p pulse-text --example
//! reaction_purity`; `benches/RESULTS.md`).
//!
//! A post goes to the kind with the most cue words; ties go to the earlier kind of
//! [`Reaction::PRIORITY`] (a post asking for blood donations for the injured is about donations);
//! a post with no cue word is news and other information.

use std::sync::OnceLock;

use rustc_hash::FxHashMap;

use crate::stopwords::Stopwords;
use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// A kind of reaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Reaction {
    /// Sympathy, prayers, support for the people hit.
    Sympathy,
    /// Warnings, advice, instructions, closures.
    Caution,
    /// Donations, volunteering, relief drives.
    Donations,
    /// The dead, injured, missing, rescued and displaced.
    Affected,
    /// Damage and disruption: power, roads, flights, buildings.
    Disruption,
    /// Anger, blame and complaints.
    Anger,
    /// Everything else: reports, updates, questions, comment.
    News,
}

/// Every kind, news included.
pub const KINDS: [Reaction; 7] = [
    Reaction::Sympathy,
    Reaction::Caution,
    Reaction::Donations,
    Reaction::Affected,
    Reaction::Disruption,
    Reaction::Anger,
    Reaction::News,
];

impl Reaction {
    /// Every kind, in the order ties are broken (the more specific first); [`Reaction::News`]
    /// takes what no cue word claims.
    pub const PRIORITY: [Reaction; 6] = [
        Reaction::Donations,
        Reaction::Caution,
        Reaction::Affected,
        Reaction::Disruption,
        Reaction::Anger,
        Reaction::Sympathy,
    ];

    /// The identifier used in the API (`sympathy`, `caution`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            Reaction::Sympathy => "sympathy",
            Reaction::Caution => "caution",
            Reaction::Donations => "donations",
            Reaction::Affected => "affected",
            Reaction::Disruption => "disruption",
            Reaction::Anger => "anger",
            Reaction::News => "news",
        }
    }

    /// The name a reader sees.
    pub fn name(self) -> &'static str {
        match self {
            Reaction::Sympathy => "Sympathy and support",
            Reaction::Caution => "Warnings and advice",
            Reaction::Donations => "Donations and help",
            Reaction::Affected => "People affected",
            Reaction::Disruption => "Damage and disruption",
            Reaction::Anger => "Anger and complaints",
            Reaction::News => "News and other posts",
        }
    }

    fn cues(self) -> &'static str {
        match self {
            Reaction::Sympathy => {
                "pray prayer prayers praying prayed thoughts condolence condolences rip sympathy sympathies \
                 heart hearts heartbreaking heartbroken sad saddened tragic tragedy devastating devastated love \
                 bless god blessing strength strong hope hoping families solidarity sorry mourn mourning \
                 grief grieving tears oremos orar rezar oracion oraciones fuerza condolencias pesame dios bendiga \
                 animo luto forca forza preghiera preghiere cordoglio vicinanza dasal ipagdasal panalangin"
            }
            Reaction::Caution => {
                "warning warn warned warns alert alerts advisory evacuate evacuated evacuation evacuations \
                 evacuating stay away avoid shelter safe safety careful caution watch tips prepare preparing \
                 preparedness emergency kit boil notice closed closure shut lockdown curfew remain indoors inside \
                 listen update updates hotline hotlines number numbers call alerta evacuar evacuacion precaucion \
                 cuidado eviten evitar refugio allerta evacuazione attenzione ingat babala lumikas"
            }
            Reaction::Donations => {
                "donate donated donating donation donations donor donors relief volunteer volunteers volunteering \
                 redcross red cross blood give giving fund funds fundraiser fundraising raise raised money aid \
                 charity supplies collect collecting drive text support helping help donar donacion donaciones \
                 donativos voluntarios voluntario ayuda ayudar ayudemos acopio viveres doacao doacoes doar \
                 donazioni volontari aiuti tulong donasyon"
            }
            Reaction::Affected => {
                "dead death deaths died dies killed kills kill toll injured injuries injury wounded hurt missing \
                 victim victims casualties casualty bodies body rescued rescue rescuers survivors survivor trapped \
                 hospital hospitalized fatalities fatality homeless displaced evacuees stranded affected muertos \
                 muerto muertes fallecidos heridos herido desaparecidos victimas rescate damnificados afectados \
                 mortos morte feridos vitimas morti morto feriti vittime dispersi sfollati patay sugatan nasawi \
                 nawawala"
            }
            Reaction::Disruption => {
                "power outage outages electricity blackout road roads bridge bridges highway street streets \
                 traffic train trains rail railway airport flights flight cancelled canceled delayed delay delays \
                 school schools building buildings collapsed collapse damage damaged destroyed water supply gas \
                 phone network service services transit bus subway infrastructure homes houses luz \
                 electricidad carretera carreteras puente puentes calles danos edificio edificios agua servicio \
                 energia estrada estradas ponte strade edifici acqua kuryente kalsada tulay"
            }
            Reaction::Anger => {
                "angry anger furious outraged outrage disgusting disgusted shame shameful ridiculous unacceptable \
                 worst terrible awful horrible hate hated wtf fuck fucking damn idiot idiots stupid blame blamed \
                 fault coward cowards cowardly pathetic rude incompetent useless joke refund complaint complain \
                 sucks disappointed disappointing rabia verguenza culpa indignante vergogna rabbia raiva \
                 vergonha galit"
            }
            Reaction::News => "",
        }
    }
}

/// The cue words, each with its kinds in [`Reaction::PRIORITY`] order.
fn lexicon() -> &'static FxHashMap<&'static str, Vec<Reaction>> {
    static LEXICON: OnceLock<FxHashMap<&'static str, Vec<Reaction>>> = OnceLock::new();
    LEXICON.get_or_init(|| {
        let mut map: FxHashMap<&'static str, Vec<Reaction>> = FxHashMap::default();
        for kind in Reaction::PRIORITY {
            for word in kind.cues().split_whitespace() {
                let kinds = map.entry(word).or_default();
                if !kinds.contains(&kind) {
                    kinds.push(kind);
                }
            }
        }
        map
    })
}

/// The words of a post as the lexicon compares them: links and mentions dropped, lower case,
/// accents removed, split on anything but letters, digits and `'` (so `#PrayForBoston` is the word
/// `prayforboston`).
pub fn reaction_words(text: &str) -> Vec<String> {
    let mut words = Vec::new();
    for chunk in text.split_whitespace() {
        if chunk.starts_with('@') || chunk.starts_with("http://") || chunk.starts_with("https://") {
            continue;
        }
        let folded: String = chunk
            .nfd()
            .filter(|c| !is_combining_mark(*c))
            .flat_map(char::to_lowercase)
            .map(|c| if c == '’' { '\'' } else { c })
            .collect();
        words.extend(
            folded
                .split(|c: char| !(c.is_alphanumeric() || c == '\''))
                .map(|w| w.trim_matches('\''))
                .filter(|w| !w.is_empty())
                .map(str::to_owned),
        );
    }
    words
}

/// The kind of reaction of a post's words (from [`reaction_words`]).
pub fn classify_words<S: AsRef<str>>(words: &[S]) -> Reaction {
    let lexicon = lexicon();
    let mut hits = [0u32; Reaction::PRIORITY.len()];
    for word in words {
        let word = word.as_ref();
        if let Some(kinds) = lexicon.get(word) {
            for kind in kinds {
                hits[priority(*kind)] += 1;
            }
        } else if word.starts_with("prayfor") {
            hits[priority(Reaction::Sympathy)] += 1;
        }
    }
    let best = hits.iter().copied().max().unwrap_or(0);
    if best == 0 {
        return Reaction::News;
    }
    Reaction::PRIORITY[hits.iter().position(|&h| h == best).unwrap_or(0)]
}

/// The kind of reaction of a post.
pub fn classify(text: &str) -> Reaction {
    classify_words(&reaction_words(text))
}

/// Whether `word` is a cue word of some kind (a group's label leaves them out of its distinctive
/// terms only when they say nothing beyond the kind's name; see the caller).
pub fn is_cue(word: &str) -> bool {
    lexicon().contains_key(word)
}

/// Most groups a set of posts is split into.
pub const MAX_GROUPS: usize = 6;
/// A kind with fewer posts than this share of the set, or fewer than [`MIN_POSTS`], is folded into
/// news: a group of one or two stray posts says nothing about what people think.
pub const MIN_SHARE: f64 = 0.02;
/// See [`MIN_SHARE`].
pub const MIN_POSTS: usize = 3;

/// Splits posts of the given kinds into groups: `(kind, indices of its posts)`, largest first
/// (ties in [`Reaction`] order). Small kinds are folded into [`Reaction::News`] (see
/// [`MIN_SHARE`]), and the smallest kinds besides news are folded into it until at most
/// [`MAX_GROUPS`] remain.
pub fn group(kinds: &[Reaction]) -> Vec<(Reaction, Vec<usize>)> {
    let mut by_kind: Vec<(Reaction, Vec<usize>)> = Vec::new();
    for (i, &kind) in kinds.iter().enumerate() {
        match by_kind.iter_mut().find(|(k, _)| *k == kind) {
            Some((_, members)) => members.push(i),
            None => by_kind.push((kind, vec![i])),
        }
    }
    let small = |n: usize| n < MIN_POSTS || (n as f64) < MIN_SHARE * kinds.len() as f64;
    let mut news: Vec<usize> = Vec::new();
    by_kind.retain_mut(|(kind, members)| {
        let fold = *kind == Reaction::News || small(members.len());
        if fold {
            news.append(members);
        }
        !fold
    });
    by_kind.sort_by(|a, b| b.1.len().cmp(&a.1.len()).then(a.0.cmp(&b.0)));
    let keep = if news.is_empty() { MAX_GROUPS } else { MAX_GROUPS - 1 };
    for (_, members) in by_kind.drain(keep.min(by_kind.len())..) {
        news.extend(members);
    }
    if !news.is_empty() {
        news.sort_unstable();
        by_kind.push((Reaction::News, news));
        by_kind.sort_by(|a, b| b.1.len().cmp(&a.1.len()).then(a.0.cmp(&b.0)));
    }
    by_kind
}

/// Size-weighted purity of `groups` against `labels` (one per post): the share of posts whose
/// label is their group's most common label. A single group scores the majority label's share.
pub fn purity<L: PartialEq>(groups: &[(Reaction, Vec<usize>)], labels: &[L]) -> f64 {
    let mut agreeing = 0usize;
    for (_, members) in groups {
        let best =
            members.iter().map(|&i| members.iter().filter(|&&j| labels[j] == labels[i]).count()).max().unwrap_or(0);
        agreeing += best;
    }
    agreeing as f64 / labels.len().max(1) as f64
}

/// The words that set a group's posts apart from the rest of the story: ranked by the posts of
/// the group that use them times their lift (their share of the group's posts over their share of
/// all posts), so a word all posts share ranks by frequency alone. Stopwords, words of fewer than
/// three characters, numbers and the words in `exclude` (the story's own terms) are left out; a
/// word must be in at least two of the group's posts. `words[i]` are post `i`'s words (from
/// [`reaction_words`]).
pub fn distinctive_terms(words: &[Vec<String>], members: &[usize], exclude: &[&str], n: usize) -> Vec<String> {
    static STOPWORDS: OnceLock<Stopwords> = OnceLock::new();
    let stopwords = STOPWORDS.get_or_init(Stopwords::new);
    let useful = |w: &str| {
        w.chars().count() >= 3
            && !w.chars().all(|c| c.is_ascii_digit())
            && stopwords.mask(w) == 0
            && !exclude.contains(&w)
            && !matches!(w, "amp" | "http" | "https")
    };
    let all = document_frequency(words.iter(), &useful);
    let in_group = document_frequency(members.iter().map(|&i| &words[i]), &useful);
    let (total, size) = (words.len().max(1) as f64, members.len().max(1) as f64);
    let mut ranked: Vec<(f64, &str)> = in_group
        .into_iter()
        .filter(|(_, dg)| *dg >= 2)
        .map(|(w, dg)| {
            let lift = (dg as f64 / size) / (all[w] as f64 / total);
            (dg as f64 * lift, w)
        })
        .collect();
    ranked.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(b.1)));
    ranked.into_iter().take(n).map(|(_, w)| w.to_owned()).collect()
}

/// In how many of `posts` each useful word appears.
fn document_frequency<'w>(
    posts: impl Iterator<Item = &'w Vec<String>>,
    useful: &dyn Fn(&str) -> bool,
) -> FxHashMap<&'w str, usize> {
    let mut df: FxHashMap<&str, usize> = FxHashMap::default();
    for post in posts {
        let mut seen: Vec<&str> = post.iter().map(String::as_str).filter(|w| useful(w)).collect();
        seen.sort_unstable();
        seen.dedup();
        for w in seen {
            *df.entry(w).or_default() += 1;
        }
    }
    df
}

fn priority(kind: Reaction) -> usize {
    Reaction::PRIORITY.iter().position(|&k| k == kind).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn posts_go_to_the_kind_their_cue_words_name() {
        let cases = [
            ("Thoughts and prayers with everyone in Boston #PrayForBoston", Reaction::Sympathy),
            ("RT @BostonPolice: Please avoid the area of Boylston St and stay inside", Reaction::Caution),
            ("Text REDCROSS to 90999 to donate $10 to the relief effort", Reaction::Donations),
            ("Death toll rises to 3, more than 100 injured http://t.co/x", Reaction::Affected),
            ("Power outage across the city, roads closed near the bridge", Reaction::Disruption),
            ("@united worst airline ever, still waiting for my refund", Reaction::Anger),
            ("Explosions reported at the Boston Marathon finish line", Reaction::News),
            ("Fuerza Guatemala, oremos por las víctimas", Reaction::Sympathy),
            ("Ya son 48 los muertos y 150 heridos", Reaction::Affected),
            ("Servono volontari e donazioni per i terremotati", Reaction::Donations),
        ];
        for (text, kind) in cases {
            assert_eq!(classify(text), kind, "{text}");
        }
    }

    #[test]
    fn ties_go_to_the_more_specific_kind_and_words_are_folded() {
        // One donation cue and one affected cue: donations come first.
        assert_eq!(classify("Donate blood for the injured"), Reaction::Donations);
        assert_eq!(
            reaction_words("Víctimas’ #PrayForBoston @AP http://t.co/x it's"),
            ["victimas", "prayforboston", "it's"]
        );
        assert!(is_cue("prayers") && !is_cue("boston"));
        assert_eq!(Reaction::Sympathy.as_str(), "sympathy");
        assert_eq!(Reaction::News.name(), "News and other posts");
    }

    #[test]
    fn small_kinds_fold_into_news_and_groups_are_capped() {
        use Reaction::*;
        // 100 posts: 40 sympathy, 30 news, 20 affected, 8 caution, 1 anger, 1 donations.
        let mut kinds = vec![Sympathy; 40];
        kinds.extend([News; 30]);
        kinds.extend([Affected; 20]);
        kinds.extend([Caution; 8]);
        kinds.extend([Anger, Donations]);
        let groups = group(&kinds);
        let shape: Vec<(Reaction, usize)> = groups.iter().map(|(k, m)| (*k, m.len())).collect();
        assert_eq!(shape, [(Sympathy, 40), (News, 32), (Affected, 20), (Caution, 8)]);
        let all: usize = groups.iter().map(|(_, m)| m.len()).sum();
        assert_eq!(all, 100, "every post is in one group");

        // Seven kinds of 10 posts: the last kind besides news is folded in, six groups remain.
        let kinds: Vec<Reaction> =
            [Sympathy, Caution, Donations, Affected, Disruption, Anger, News].iter().flat_map(|k| [*k; 10]).collect();
        let groups = group(&kinds);
        assert_eq!(groups.len(), MAX_GROUPS);
        assert_eq!(groups[0], (News, (50..70).collect()), "anger (last by kind order) joined news");

        let labels = ["a", "a", "b", "b", "b"];
        assert_eq!(purity(&[(News, vec![0, 1, 2, 3, 4])], &labels), 0.6);
        assert_eq!(purity(&[(News, vec![0, 1]), (Sympathy, vec![2, 3, 4])], &labels), 1.0);
    }

    #[test]
    fn distinctive_terms_rank_a_groups_own_words_above_the_storys() {
        let posts = [
            "Prayers for Boston and the victims",
            "Sending prayers to Boston, thoughts with the families",
            "Thoughts and prayers with Boston tonight",
            "Explosion at the Boston marathon finish",
            "Second explosion near the finish in Boston",
        ];
        let words: Vec<Vec<String>> = posts.iter().map(|p| reaction_words(p)).collect();
        assert_eq!(distinctive_terms(&words, &[0, 1, 2], &["boston"], 3), ["prayers", "thoughts"]);
        assert_eq!(distinctive_terms(&words, &[3, 4], &["boston"], 3), ["explosion", "finish"]);
        // One group of everything: by frequency; the story's own term is left out.
        assert_eq!(distinctive_terms(&words, &[0, 1, 2, 3, 4], &["boston"], 1), ["prayers"]);
    }
}
