#include "services/common/text/cue_frames.h"

#include "tests/unit/text/test_analyzer.h"

namespace carecast::common::text {
namespace {

// A tiny configuration, so the mechanism is tested apart from the shipped data.
constexpr std::string_view kUrgency = "alarm\tguidance\tsiren\n";
constexpr std::string_view kCues =
    "concept\tsmoke\tsmoke|smoky\n"
    "concept\tinside\tin the ward|indoors\n"
    "concept\tdrill\tdrill|practice\n"
    "frame\talarm\tsmoke+inside\n"
    "unless\talarm\tdrill\n";

struct Fixture {
  std::unique_ptr<PhraseIndex> index;
  std::unique_ptr<CueFrames> frames;
  NormalizedText n;
  std::vector<Token> tokens;
  PhraseHits hits;
  CueScan scan;

  Fixture() {
    index = *PhraseIndex::Build("", kUrgency, "", kCues);
    frames = *CueFrames::Create(kCues, *index);
  }
  size_t Matches(std::string_view text) {
    EXPECT_TRUE(Normalize(text, 4096, n).ok());
    tokens.clear();
    Tokenize(n, {}, tokens);
    index->Scan(n.text, 1000, hits);
    frames->Scan(n, tokens, hits, scan);
    return scan.matches.size();
  }
};

TEST(CueFramesTest, AllConceptsOfAFrameInOneSentence) {
  Fixture f;
  EXPECT_EQ(f.Matches("There is smoke in the ward"), 1u);
  EXPECT_EQ(f.Matches("Smoky indoors!"), 1u);
  EXPECT_EQ(f.Matches("There is smoke outside"), 0u);  // one concept is not a frame
  EXPECT_EQ(f.Matches("All fine in the ward"), 0u);
}

TEST(CueFramesTest, AFrameMaySpanTwoConsecutiveSentencesButNotThree) {
  Fixture f;
  EXPECT_EQ(f.Matches("I smell smoke. It is in the ward."), 1u);
  EXPECT_EQ(f.Matches("I smell smoke. Lunch was late. We are in the ward."), 0u);
}

TEST(CueFramesTest, ANegatorBeforeAConceptCancelsIt) {
  Fixture f;
  EXPECT_EQ(f.Matches("There is no smoke in the ward"), 0u);
  EXPECT_EQ(f.Matches("we didn't see any smoke indoors"), 0u);
  // The negator must be within three words and in the same clause.
  EXPECT_EQ(f.Matches("not that I mind waiting at all, but smoke in the ward"), 1u);
}

TEST(CueFramesTest, AnUnlessConceptInTheSentenceDropsTheCategory) {
  Fixture f;
  EXPECT_EQ(f.Matches("Fire drill: smoke in the ward at 10am"), 0u);
  EXPECT_TRUE(f.frames->Blocked(f.scan, "alarm", 12));
  EXPECT_FALSE(f.frames->Blocked(f.scan, "other", 12));
}

TEST(CueFramesTest, EvidenceIsTheFirstPhraseOfEachConcept) {
  Fixture f;
  ASSERT_EQ(f.Matches("smoky, so smoky, in the ward"), 1u);
  ASSERT_EQ(f.scan.matches[0].entries.size(), 2u);
  EXPECT_EQ(f.index->phrase(f.scan.matches[0].entries[0]), "smoky");
  EXPECT_EQ(f.index->phrase(f.scan.matches[0].entries[1]), "in the ward");
}

TEST(CueFramesTest, UnknownConceptsAndMalformedLinesAreRejected) {
  auto index = *PhraseIndex::Build("", kUrgency, "", kCues);
  EXPECT_EQ(CueFrames::Create("frame\talarm\tsmoke+fog\n", *index).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(CueFrames::Create("frame\talarm\n", *index).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(CueFrames::Create("rule\talarm\tsmoke\n", *index).status().code(),
            absl::StatusCode::kInvalidArgument);
  TextConfig config = DefaultTextConfig();
  config.cues += "frame\tno_such_category\tsomeone\n";
  EXPECT_EQ(TextAnalyzer::Create(config).status().code(), absl::StatusCode::kInvalidArgument);
}

std::string UrgentCategory(std::string_view text) {
  auto a = MustAnalyze(text);
  return a.urgency_findings_size() > 0 ? a.urgency_findings(0).category() : "";
}

// The shipped frames, one kind per test: wordings that no single phrase covers.
TEST(CueFramesTest, IndirectSelfHarm) {
  EXPECT_EQ(UrgentCategory("made sure my brother gets my car. I won't be around much longer"),
            "self_harm");
  EXPECT_EQ(UrgentCategory("I've been stockpiling my antidepressants"), "self_harm");
  EXPECT_EQ(UrgentCategory("the pain will be gone soon, the physio is great"), "");
  EXPECT_EQ(UrgentCategory("No point calling billing, nobody answers"), "");
  EXPECT_EQ(UrgentCategory("Retiring tomorrow: this is goodbye to my wonderful colleagues"), "");
}

TEST(CueFramesTest, EmergenciesDescribedBySymptoms) {
  EXPECT_EQ(UrgentCategory("mum's face is lopsided and her speech is slurred"),
            "medical_emergency");
  EXPECT_EQ(UrgentCategory("our newborn is floppy and we can't wake her"), "medical_emergency");
  EXPECT_EQ(UrgentCategory("The gash keeps bleeding, it's soaked through two towels"),
            "medical_emergency");
  EXPECT_EQ(UrgentCategory("Learn how to spot a stroke: a drooping face and slurred speech"), "");
  EXPECT_EQ(UrgentCategory("He has walked with a limp since his knee surgery"), "");
}

TEST(CueFramesTest, SafetyReports) {
  EXPECT_EQ(UrgentCategory("The nurse hung an IV bag with a different patient's name"),
            "safety_report");
  EXPECT_EQ(UrgentCategory("the emergency exits by the lab are chained shut"), "safety_report");
  EXPECT_EQ(UrgentCategory("Spilt coffee all over the lobby floor and no one came"),
            "safety_report");
  EXPECT_EQ(UrgentCategory("The pharmacist double checked my dose, thank you"), "");
  EXPECT_EQ(UrgentCategory("Thanks to the crew who cleaned up the spill in the lobby so fast"), "");
}

TEST(CueFramesTest, ThreatsWithoutAViolentVerb) {
  EXPECT_EQ(UrgentCategory("I know where that doctor parks. Remember my face."), "violence_threat");
  EXPECT_EQ(UrgentCategory("Bringing my shotgun to your ER next time"), "violence_threat");
  EXPECT_EQ(UrgentCategory("The surgeon said the knife wound healed well"), "");
  EXPECT_EQ(UrgentCategory("Nurses, please be careful on the roads tonight"), "");
  EXPECT_EQ(UrgentCategory("Our security team has a new schedule from Monday"), "");
}

TEST(CueFramesTest, PlainUrgentPhrasesAreDroppedInEducationalSentences) {
  EXPECT_TRUE(MustAnalyze("my husband is having chest pain right now").urgent());
  EXPECT_FALSE(MustAnalyze("Know the signs of a heart attack: chest pain and sweating").urgent());
  EXPECT_FALSE(MustAnalyze("Two years ago today you saved my dad after his heart attack").urgent());
}

}  // namespace
}  // namespace carecast::common::text
