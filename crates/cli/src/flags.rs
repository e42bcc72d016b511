//! Command-line flags, parsed with clap into one struct per command.

use std::path::PathBuf;

use chaff_extract::PageLimits;
use chaff_learn::{LearnerParams, ModelParams, PageRules, Param, ParamsError};
use clap::{Args, Parser, Subcommand, ValueEnum};

/// Label the blocks of web pages as article, related, recent, directory, copyright or other.
#[derive(Parser, Debug)]
#[command(name = "chaff", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Label the blocks of pages (files, folders, .gz, or - for stdin).
    Classify(ClassifyArgs),
    /// Train a model on labelled pages.
    Train(TrainArgs),
    /// Join models trained on the same pages with other seeds into one that pools them.
    Join(JoinArgs),
    /// Measure a model on labelled pages, or cross-validate by outlet.
    Eval(EvalArgs),
    /// Print the feature rows of a page, for inspection.
    Features(FeaturesArgs),
    /// Show what a model is: how it was trained, on what, and its page rules.
    Model(ModelArgs),
    /// Label pages in the browser, pre-labelled by a model, saving a dataset as you go.
    Annotate(AnnotateArgs),
}

#[derive(Args, Debug)]
pub struct AnnotateArgs {
    /// Pages to label: HTML files or folders of them.
    #[arg(value_name = "PAGE", required = true)]
    pub paths: Vec<PathBuf>,
    /// The dataset folder: each page is saved there with its labels on every change,
    /// with a manifest.jsonl; run again on the same folder to resume.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// The model that pre-labels the pages (default: the embedded model).
    #[arg(long, value_name = "FILE")]
    pub model: Option<PathBuf>,
    /// The address to listen on (loopback only by default).
    #[arg(long, default_value = "127.0.0.1")]
    pub host: std::net::IpAddr,
    /// The port (0: any free port).
    #[arg(long, default_value_t = 8421)]
    pub port: u16,
    /// Blocks the model labels with less confidence than this are marked (dashed).
    #[arg(long, value_name = "P", default_value_t = 0.6)]
    pub low_confidence: f64,
    #[command(flatten)]
    pub limits: LimitArgs,
}

#[derive(Args, Debug)]
pub struct ModelArgs {
    /// Model file (default: the model embedded in chaff).
    #[arg(long, value_name = "FILE")]
    pub model: Option<PathBuf>,
    /// Print the whole model as JSON (the model file's form) instead of a summary.
    #[arg(long)]
    pub json: bool,
}

/// How to read inputs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum InputKind {
    /// Decide by file name: .txt is plain text, .warc(.gz) WARC, .jsonl a page stream,
    /// anything else HTML.
    Auto,
    /// HTML.
    Html,
    /// Plain text, one block per non-empty line.
    Text,
    /// WARC (1.0/1.1, optionally gzip): the HTML responses it holds.
    Warc,
    /// One page per line: {"id": ..., "url": ..., "html": ...} (or "text" for plain text).
    Jsonl,
}

#[derive(Args, Debug, Clone)]
pub struct LimitArgs {
    /// Largest page accepted, in bytes (after decompression).
    #[arg(long, default_value_t = PageLimits::default().max_bytes, value_name = "BYTES")]
    pub max_page_bytes: usize,
    /// Most blocks accepted in one page.
    #[arg(long, default_value_t = PageLimits::default().max_blocks, value_name = "N")]
    pub max_blocks: usize,
}

impl LimitArgs {
    pub fn limits(&self) -> PageLimits {
        PageLimits {
            max_bytes: self.max_page_bytes,
            max_blocks: self.max_blocks,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// One line per block: label, confidence, text.
    Human,
    /// One JSON object per block.
    Jsonl,
    /// The page with data-block-label on its block elements.
    Html,
    /// One JSON object per page: id, url, file, blocks (for streaming and map stages).
    Pages,
}

/// What `--extract` prints: a label's blocks, or the article's body.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ExtractArg {
    /// The article's body: its blocks but the headline and the image captions (the
    /// main text of trafilatura's and Readability's convention).
    Body,
    /// Main content: headline, standfirst, body, captions.
    Article,
    /// Links and teasers related to the page's story.
    Related,
    /// Recent or popular stories, not related to this one.
    Recent,
    /// Site navigation, sections, menus.
    Directory,
    /// Copyright and legal lines.
    Copyright,
    /// Everything else: ads, comments, share buttons, forms.
    Other,
}

impl ExtractArg {
    /// The label whose blocks this prints, none for the body.
    pub fn label(self) -> Option<chaff_extract::Label> {
        use chaff_extract::Label;
        match self {
            ExtractArg::Body => None,
            ExtractArg::Article => Some(Label::Article),
            ExtractArg::Related => Some(Label::Related),
            ExtractArg::Recent => Some(Label::Recent),
            ExtractArg::Directory => Some(Label::Directory),
            ExtractArg::Copyright => Some(Label::Copyright),
            ExtractArg::Other => Some(Label::Other),
        }
    }
}

#[derive(Args, Debug)]
pub struct ClassifyArgs {
    /// Pages to classify: files, folders (read recursively in name order), WARC files,
    /// JSONL page streams, or - for stdin.
    #[arg(value_name = "PATH", default_value = "-")]
    pub paths: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
    /// With --format html: a self-contained page that outlines each block in its label's
    /// colour, with scripts, event handlers and external loads removed.
    #[arg(long)]
    pub overlay: bool,
    /// Print only the text of blocks with these labels (`article`, or several:
    /// `related,recent`), a block a line; `body` is the article without its headline and
    /// image captions. With --format jsonl: one object per page with its file, url,
    /// title, text and words. With several pages, each page's text follows a line
    /// `== NAME`.
    #[arg(
        long,
        value_enum,
        value_name = "LABEL[,LABEL...]",
        value_delimiter = ','
    )]
    pub extract: Vec<ExtractArg>,
    /// Print text as the page has it: without it, soft hyphens and zero-width spaces are
    /// taken out and text is in Unicode normalisation form C, as searches expect.
    #[arg(long)]
    pub raw_text: bool,
    /// With --format html: write one file per page into this folder (needed when the
    /// input holds several pages).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// How to read inputs.
    #[arg(long, value_enum, default_value_t = InputKind::Auto)]
    pub input: InputKind,
    /// Model file (default: the model embedded in chaff).
    #[arg(long, value_name = "FILE")]
    pub model: Option<PathBuf>,
    #[command(flatten)]
    pub decision: DecisionArgs,
    /// Worker threads (default: all cores).
    #[arg(long, short = 'j', value_name = "N")]
    pub jobs: Option<usize>,
    #[command(flatten)]
    pub limits: LimitArgs,
}

#[derive(Args, Debug)]
pub struct TrainArgs {
    /// Dataset folders (with manifest.jsonl, or folders of labelled .html files).
    #[arg(long = "data", required = true, value_name = "DIR")]
    pub data: Vec<PathBuf>,
    /// Where to write the model.
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
    #[command(flatten)]
    pub learner: LearnerArgs,
    #[command(flatten)]
    pub decision: DecisionArgs,
    /// Train without the context stage.
    #[arg(long)]
    pub no_context: bool,
    /// Train without the plain-text head.
    #[arg(long)]
    pub no_text_head: bool,
    /// Do not learn the article prior from article-text-only pages in the data.
    #[arg(long)]
    pub no_article_prior: bool,
    /// Seed for every random choice.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    #[command(flatten)]
    pub limits: LimitArgs,
}

#[derive(Args, Debug)]
pub struct JoinArgs {
    /// The models: trained on the same pages with the same options, each with its own
    /// --seed (or several --members). Their members become the joined model's, in order:
    /// `chaff train --members 2` and two one-member models of its seeds (--seed S and
    /// S+1000) joined are the same file.
    #[arg(value_name = "MODEL", required = true, num_args = 2..)]
    pub models: Vec<PathBuf>,
    /// Where to write the joined model.
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
}

/// The learner, its size, and how it weighs the labels.
#[derive(Args, Debug)]
pub struct LearnerArgs {
    /// Learner: boosted (gradient-boosted trees) or logistic (linfa logistic regression).
    #[arg(long, default_value = "boosted")]
    pub learner: String,
    /// Boosted: trees per label and stage.
    #[arg(long, value_name = "N")]
    pub trees: Option<usize>,
    /// Boosted: deepest split level of a tree.
    #[arg(long, value_name = "D")]
    pub depth: Option<usize>,
    /// Boosted: learning rate (shrinkage of each tree).
    #[arg(long, value_name = "RATE")]
    pub learning_rate: Option<f32>,
    /// Boosted: L2 penalty on leaf weights.
    #[arg(long, value_name = "PENALTY")]
    pub l2: Option<f32>,
    /// Boosted: least hessian weight a leaf must hold (larger: leaves backed by more
    /// blocks).
    #[arg(long, value_name = "WEIGHT")]
    pub min_leaf_weight: Option<f32>,
    /// Boosted: fraction of the rows each tree sees, drawn at random for each tree (1, the
    /// default: every row).
    #[arg(long, value_name = "FRACTION")]
    pub subsample: Option<f32>,
    /// Boosted: fraction of the columns each tree sees.
    #[arg(long, value_name = "FRACTION")]
    pub colsample: Option<f64>,
    /// Folds (by outlet) of the out-of-fold first-stage probabilities the context stage
    /// is trained on: more folds train each fold's classifier on more pages, and take
    /// longer [default: 3].
    #[arg(long, value_name = "N")]
    pub context_folds: Option<usize>,
    /// Most article-text-only pages the article prior is trained on (drawn by the seed)
    /// [default: 1500].
    #[arg(long, value_name = "N")]
    pub prior_pages: Option<usize>,
    /// Leave the final probabilities uncalibrated (no temperature learned from their
    /// out-of-fold values).
    #[arg(long)]
    pub no_calibration: bool,
    /// Leave out the learned cue table of class/id tokens and heading words.
    #[arg(long)]
    pub no_cues: bool,
    /// Members of the model: each trained with its own seed (--seed, then steps of 1,000),
    /// their probabilities pooled (the normalised geometric mean of each label's). More
    /// even out the noise of one training draw, at that many times the training and
    /// prediction time [default: 1].
    #[arg(long, value_name = "N")]
    pub members: Option<usize>,
}

impl LearnerArgs {
    /// `params` with the learner and the model options these flags set.
    pub fn apply(&self, params: ModelParams) -> anyhow::Result<ModelParams> {
        let mut params = params
            .learner(self.params()?)
            .calibrate(!self.no_calibration)
            .cues(!self.no_cues);
        if let Some(n) = self.context_folds {
            params = params.context_folds(n);
        }
        if let Some(n) = self.prior_pages {
            params = params.article_prior_pages(n);
        }
        if let Some(n) = self.members {
            params = params.members(n);
        }
        Ok(params)
    }

    /// The learner's parameters, checked.
    pub fn params(&self) -> anyhow::Result<LearnerParams> {
        let mut params = LearnerParams::by_name(&self.learner).map_err(flag_error)?;
        match &mut params {
            LearnerParams::Boosted {
                iterations,
                max_depth,
                learning_rate,
                l2,
                min_leaf_weight,
                subsample,
                colsample,
            } => {
                *iterations = self.trees.unwrap_or(*iterations);
                *max_depth = self.depth.unwrap_or(*max_depth);
                *learning_rate = self.learning_rate.unwrap_or(*learning_rate);
                *l2 = self.l2.unwrap_or(*l2);
                *min_leaf_weight = self.min_leaf_weight.unwrap_or(*min_leaf_weight);
                *subsample = self.subsample.unwrap_or(*subsample);
                *colsample = self.colsample.unwrap_or(*colsample);
            }
            LearnerParams::Logistic { .. } => {
                if self.trees.is_some()
                    || self.depth.is_some()
                    || self.learning_rate.is_some()
                    || self.l2.is_some()
                    || self.min_leaf_weight.is_some()
                    || self.subsample.is_some()
                    || self.colsample.is_some()
                {
                    anyhow::bail!(
                        "--trees, --depth, --learning-rate, --l2, --min-leaf-weight, \
                         --subsample and --colsample are for --learner boosted"
                    );
                }
            }
        }
        params.check().map_err(flag_error)?;
        Ok(params)
    }
}

/// The rules that act on a page's blocks after the classifiers. A model file keeps the
/// values it was trained with; these flags change them for one run of `classify` or
/// `eval` (no retraining: the classifiers do not depend on them), and set the values a
/// `train`ed model is saved with.
#[derive(Args, Debug, Clone, Default)]
pub struct DecisionArgs {
    /// When no block of a page comes out article, label article the blocks whose article
    /// probability is at least this share of the page's highest (0 turns it off)
    /// [default: the model's; 0.5 in training].
    #[arg(long, value_name = "SHARE")]
    pub article_fallback: Option<f64>,
    /// When the blocks labelled article hold fewer words than this share of what the
    /// article prior expects (a forum thread read as comments), the prior's article blocks
    /// labelled other become article (0 turns it off) [default: the model's; 0.05 in
    /// training].
    #[arg(long, value_name = "SHARE")]
    pub prior_rescue: Option<f64>,
    /// A temperature for the final probabilities, and so `confidence` (below 1 sharpens;
    /// labels do not change): `chaff eval` reports the one that fits held-out pages
    /// [default: the model's; 1 in training].
    #[arg(long, value_name = "T")]
    pub confidence_temperature: Option<f64>,
}

impl DecisionArgs {
    /// `rules` with the values these flags give.
    pub fn over(&self, rules: PageRules) -> PageRules {
        PageRules {
            article_fallback: self.article_fallback.unwrap_or(rules.article_fallback),
            prior_rescue: self.prior_rescue.unwrap_or(rules.prior_rescue),
            confidence_temperature: self
                .confidence_temperature
                .unwrap_or(rules.confidence_temperature),
        }
    }

    /// `rules` with the values these flags give, checked.
    pub fn apply(&self, rules: PageRules) -> anyhow::Result<PageRules> {
        self.over(rules).check().map_err(flag_error)
    }
}

/// The flag that sets a parameter.
pub fn flag(param: Param) -> &'static str {
    match param {
        Param::Learner => "--learner",
        Param::Alpha => "logistic alpha",
        Param::MaxIterations => "logistic max_iterations",
        Param::Trees => "--trees",
        Param::Depth => "--depth",
        Param::LearningRate => "--learning-rate",
        Param::L2 => "--l2",
        Param::MinLeafWeight => "--min-leaf-weight",
        Param::Subsample => "--subsample",
        Param::Colsample => "--colsample",
        Param::ContextFolds => "--context-folds",
        Param::Members => "--members",
        Param::ArticleFallback => "--article-fallback",
        Param::PriorRescue => "--prior-rescue",
        Param::ConfidenceTemperature => "--confidence-temperature",
        Param::Folds => "--cv-by-domain",
        Param::LabelledShare => "--labelled-share",
    }
}

/// A parameter error in the words of the flags.
pub fn flag_error(e: ParamsError) -> anyhow::Error {
    match e {
        ParamsError::OutOfRange {
            param,
            expected,
            value,
        } => anyhow::anyhow!("{} must be {expected}, got {value}", flag(param)),
        other => other.into(),
    }
}

#[derive(Args, Debug)]
pub struct EvalArgs {
    /// Dataset folders to score on.
    #[arg(long = "data", required = true, value_name = "DIR")]
    pub data: Vec<PathBuf>,
    /// Model file (default: the embedded model).
    #[arg(long, value_name = "FILE", conflicts_with_all = ["cv_by_domain", "folds"])]
    pub model: Option<PathBuf>,
    /// Score the held-out pages of a cross-validation again with the fold models that
    /// --save-folds wrote into DIR, each page by the model its fold held it out of (give
    /// the same --data; the fold models record the outlets they held out, so a page that
    /// can no longer be read leaves the others in their folds). No training: the page
    /// rules below can be tried in minutes.
    /// Given more than once (cross-validations on the same folds, --fold-seed, with other
    /// training seeds), each page is predicted by the pool of its fold's models: what a
    /// model of that many --members would score.
    #[arg(long, value_name = "DIR", conflicts_with_all = ["cv_by_domain", "unseen_outlets"])]
    pub folds: Vec<PathBuf>,
    /// Instead of scoring a model: K-fold cross-validation with no outlet (registrable
    /// domain) on both sides of a fold, training with the options below.
    #[arg(long, value_name = "K", conflicts_with = "unseen_outlets")]
    pub cv_by_domain: Option<usize>,
    /// The learner for --cv-by-domain.
    #[command(flatten)]
    pub learner: LearnerArgs,
    #[command(flatten)]
    pub decision: DecisionArgs,
    /// No context stage in --cv-by-domain.
    #[arg(long)]
    pub no_context: bool,
    /// No article prior in --cv-by-domain.
    #[arg(long)]
    pub no_article_prior: bool,
    /// Seed for --cv-by-domain: it trains the fold models and, without --fold-seed,
    /// draws the folds.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// With --cv-by-domain: the seed that draws the folds (default: --seed). Another
    /// --seed with the same --fold-seed holds out the same pages with models trained by
    /// other random draws, so --against an earlier run shows the training's own noise.
    #[arg(long, value_name = "N", requires = "cv_by_domain")]
    pub fold_seed: Option<u64>,
    /// With --cv-by-domain: train on this share of the outlets of the block-labelled
    /// pages (drawn by the fold seed, the same for every fold; a smaller share's outlets
    /// are among a larger one's). Every held-out page is still scored and every
    /// article-text page still trains: runs at several shares draw a learning curve.
    #[arg(
        long,
        value_name = "SHARE",
        default_value_t = 1.0,
        requires = "cv_by_domain"
    )]
    pub labelled_share: f64,
    /// With --cv-by-domain: write each fold's model into DIR (fold-1.json.gz, …), so
    /// that --folds DIR can score the same held-out pages again without training. Fold
    /// models of an earlier run there are replaced.
    #[arg(long, value_name = "DIR", requires = "cv_by_domain")]
    pub save_folds: Option<PathBuf>,
    /// Score only pages whose outlet the model was not trained on (neither its six-class
    /// pages nor its article prior's pages).
    #[arg(long)]
    pub unseen_outlets: bool,
    /// Compare with an earlier run's report (`chaff eval --json` on the same --data):
    /// how much each six-class score over words differs, with a 95% interval from
    /// drawing the outlets, each draw scoring both runs on the same outlets.
    #[arg(long, value_name = "REPORT")]
    pub against: Option<PathBuf>,
    /// Machine-readable results (JSON) instead of tables.
    #[arg(long)]
    pub json: bool,
    /// List the N worst pages and the N largest mistakes.
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub errors: usize,
    /// Also write the results as one self-contained HTML page: a confusion heat map,
    /// per-label bars, a reliability plot, the outlets (sortable) and the worst pages,
    /// linked to their overlays when one model scored them (written to FILE's stem
    /// plus `-overlays/`).
    #[arg(long, value_name = "FILE")]
    pub report: Option<PathBuf>,
    #[command(flatten)]
    pub limits: LimitArgs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RowFormat {
    /// Comma-separated values with a header.
    Csv,
    /// One JSON object per block: index, tag, path, text, gold (the block's label on a
    /// page that carries data-block-label, else null) and the named features.
    Jsonl,
}

#[derive(Args, Debug)]
pub struct FeaturesArgs {
    /// The page (a file, or - for stdin).
    #[arg(value_name = "PAGE")]
    pub path: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value_t = RowFormat::Csv)]
    pub format: RowFormat,
    /// How to read the input.
    #[arg(long, value_enum, default_value_t = InputKind::Auto)]
    pub input: InputKind,
    #[command(flatten)]
    pub limits: LimitArgs,
}
