#!/bin/sh
# Exercise the lmm command-line tool: every subcommand's text and JSON output
# (key figures against R 4.2 / lme4), --help, and every error path with its
# exit status. Plain sh + grep. Ends with one line "N passed, N failed".
#   sh tests/cli.sh                 uses build/lmm (run `make` first)
#   LMM=/path/to/lmm sh tests/cli.sh
cd "$(dirname "$0")/.." || exit 2
LMM=${LMM:-build/lmm}
D=tests/data
passed=0; failed=0
TMP=${TMPDIR:-/tmp}/lmm_cli.$$
mkdir -p "$TMP" || exit 2
trap 'rm -rf "$TMP"' EXIT

ok() { passed=$((passed + 1)); }
bad() { failed=$((failed + 1)); echo "FAIL: $*"; }

# run NAME ARGS...: run the tool, keep stdout/stderr/status for the checks below
run() {
    name=$1; shift
    "$LMM" "$@" >"$TMP/out" 2>"$TMP/err"
    rc=$?
}
# expect_rc N: the last run exited with N
expect_rc() {
    if [ "$rc" -eq "$1" ]; then ok; else bad "$name: exit status $rc, want $1"; sed 's/^/    /' "$TMP/err" | head -n 5; fi
}
# has TEXT: stdout of the last run contains the fixed string TEXT
has() {
    if grep -F -e "$1" "$TMP/out" >/dev/null; then ok; else bad "$name: output lacks '$1'"; fi
}
# err_has TEXT: stderr contains TEXT and is exactly one line; stdout is empty
err_has() {
    if grep -F -e "$1" "$TMP/err" >/dev/null; then ok; else bad "$name: stderr lacks '$1':"; sed 's/^/    /' "$TMP/err" | head -n 5; fi
    if [ "$(wc -l <"$TMP/err")" -eq 1 ]; then ok; else bad "$name: stderr is not one line"; fi
    if [ ! -s "$TMP/out" ]; then ok; else bad "$name: stdout not empty on error"; fi
}
# bad_input NAME ERRTEXT ARGS...: exit status 2 with a one-line message
bad_input() {
    n=$1; e=$2; shift 2
    run "$n" "$@"; expect_rc 2; err_has "$e"
}

# in_range NAME VALUE LO HI: LO <= VALUE <= HI (numbers compared by awk)
in_range() {
    if awk -v x="$2" -v lo="$3" -v hi="$4" 'BEGIN { exit !(x != "" && x + 0 >= lo && x + 0 <= hi) }'; then ok
    else bad "$1: value '$2' not in [$3, $4]"; fi
}
# json_val KEY: the number after "KEY": in the last stdout
json_val() {
    sed -n "s/.*\"$1\": \([-0-9.eE+]*\).*/\1/p" "$TMP/out" | head -n 1
}
# same_files NAME A B: two files are identical
same_files() {
    if cmp -s "$2" "$3"; then ok; else bad "$1: $2 and $3 differ"; diff "$2" "$3" | head -n 6 | sed 's/^/    /'; fi
}

if [ ! -x "$LMM" ]; then
    echo "FAIL: $LMM not found or not executable (run make)"
    echo "0 passed, 1 failed"
    exit 1
fi

# ---- help ---------------------------------------------------------------
run help --help; expect_rc 0; has "usage: lmm COMMAND"; has "anova DATA.csv"
for c in fit lm aov anova boot predict ranef ranova contest; do
    run "help-$c" "$c" --help; expect_rc 0; has "usage: lmm $c DATA.csv"; has "--json"
done
run no-args; expect_rc 2

# ---- the README's CLI section: every subcommand of --help, each line runs ----
awk '/^## The command-line tool/ { s = 1 } s && /^```sh$/ { f = 1; next } f && /^```$/ { exit } f' README.md >"$TMP/readme.sh"
run help-list --help
for c in $(sed -n 's/^  \([a-z][a-z-]*\) .*/\1/p' "$TMP/out"); do
    if grep -q "^\./build/lmm $c " "$TMP/readme.sh"; then ok; else bad "README's CLI section has no example of '$c'"; fi
done
mkdir -p "$TMP/readme/build"
case $LMM in /*) ln -s "$LMM" "$TMP/readme/build/lmm" ;; *) ln -s "$PWD/$LMM" "$TMP/readme/build/lmm" ;; esac
ln -s "$PWD/tests" "$TMP/readme/tests"
grep -v '^#' "$TMP/readme.sh" | while IFS= read -r line; do
    if (cd "$TMP/readme" && sh -c "$line" >"$TMP/readme/last.out" 2>&1); then echo ok; else echo "bad README line: $line"; fi
done >"$TMP/readme.res"
while IFS= read -r r; do if [ "$r" = ok ]; then ok; else bad "$r"; fi; done <"$TMP/readme.res"
# the two merged shards give the unsharded run's p-value
(cd "$TMP/readme" && ./build/lmm boot-merge shard0.txt shard1.txt --json) >"$TMP/out"
p_merged=$(json_val pvalue)
(cd "$TMP/readme" && ./build/lmm boot tests/data/pulp.csv 'bright ~ 1' 'bright ~ 1 + (1|operator)' --nsim 1000 --seed 13 --json) >"$TMP/out"
if [ -n "$p_merged" ] && [ "$p_merged" = "$(json_val pvalue)" ]; then ok; else bad "README boot-merge: p-value '$p_merged' differs from the single run's"; fi

# ---- lm -----------------------------------------------------------------
run lm-pulp lm $D/pulp.csv 'bright ~ operator'
expect_rc 0
has "lm(formula = bright ~ operator, data = pulp)"
has "-0.440 -0.195 -0.070  0.175  0.560 "
has "(Intercept)  60.2400     0.1458 413.243   <2e-16 ***"
has "operatorb    -0.1800     0.2062  -0.873   0.3955    "
has "operatord     0.4400     0.2062   2.134   0.0486 *  "
has "Residual standard error: 0.326 on 16 degrees of freedom"
has "Multiple R-squared:  0.4408,	Adjusted R-squared:  0.3359 "
has "F-statistic: 4.204 on 3 and 16 DF,  p-value: 0.02261"

run lm-sleep lm $D/sleepstudy.csv 'Reaction ~ Days'
expect_rc 0
has "(Intercept)  251.405      6.610  38.033  < 2e-16 ***"
has "Days          10.467      1.238   8.454 9.89e-15 ***"
has "F-statistic: 71.46 on 1 and 178 DF,  p-value: 9.894e-15"

run lm-soybean lm $D/soybean_sim.csv 'AqE ~ ID + days + I(days^2) + Precip + Precip_7day' --ref ID=RC
expect_rc 0
has "lm(formula = AqE ~ ID + days + I(days^2) + Precip + Precip_7day, "
has "    data = soybean_sim)"
has "-1.2354 -0.2598 -0.0061  0.2567  1.2886 "
has "IDNAM04     -0.312454   0.057932  -5.393 7.40e-08 ***"
has "Precip_7day -0.003330   0.011856  -0.281  0.77879    "
has "F-statistic: 16.51 on 44 and 3265 DF,  p-value: < 2.2e-16"

run lm-json lm $D/sleepstudy.csv 'Reaction ~ Days' --json
expect_rc 0
has '"coef": [{"name": "(Intercept)", "estimate": 251.40510484'
has '"name": "Days", "estimate": 10.4672859'
has '"sigma": 47.7147197437'
has '"r_squared": 0.286471395107'
has '"loglik": -950.146528'
has '"df": 3'
has '"aic": 1906.29305'
has '"bic": 1915.87192'

run lm-ref lm $D/pulp.csv 'bright ~ operator' --ref operator=b --json
expect_rc 0
has '"name": "operatora", "estimate": 0.18000000'

# ---- aov ----------------------------------------------------------------
run aov-pulp aov $D/pulp.csv 'bright ~ operator' --contrasts sum
expect_rc 0
has "            Df Sum Sq Mean Sq F value Pr(>F)  "
has "operator     3   1.34  0.4467   4.204 0.0226 *"
has "Residuals   16   1.70  0.1062                 "
has "(Intercept)   operator1   operator2   operator3 "
has "      60.40       -0.16       -0.34        0.22 "
has "Tables of effects"
has "-0.16 -0.34  0.22  0.28 "

run aov-soybean aov $D/soybean_sim.csv 'AqE ~ ID + days + I(days^2) + Precip + Precip_7day' --ref ID=RC
expect_rc 0
has "days           1    2.1   2.059  13.974 0.000189 ***"
has "Residuals   3265  481.0   0.147                     "

run aov-json aov $D/pulp.csv 'bright ~ operator' --contrasts sum --json
expect_rc 0
has '"terms": [{"term": "operator", "df": 3, "sumsq": 1.3399999'
has '"f": 4.20392156862'
has '"p": 0.0226088964'
has '{"term": "Residuals", "df": 16, "sumsq": 1.6999999'
has '"f": null, "p": null}]'
has '"coef": [{"name": "(Intercept)", "estimate": 60.40000000'
has '"name": "operator1", "estimate": -0.15999999'
has '"effects": {"operator": {"a": -0.15999999'
has '"d": 0.2800000000'

# ---- anova --------------------------------------------------------------
run anova-pulp anova $D/pulp.csv 'bright ~ 1' 'bright ~ 1 + (1|operator)'
expect_rc 0
has "Data: pulp"
has "m1: bright ~ 1 + (1 | operator)"
has "   npar    AIC    BIC  logLik deviance  Chisq Df Pr(>Chisq)"
has "m0    2 23.080 25.072 -9.5400   19.080                     "
has "m1    3 22.512 25.499 -8.2558   16.512 2.5684  1      0.109"

run anova-pulp-json anova $D/pulp.csv 'bright ~ 1' 'bright ~ 1 + (1|operator)' --json
expect_rc 0
has '{"models": [{"name": "m0", "formula": "bright ~ 1", "npar": 2, "aic": 23.0800461654'
has '"deviance": 19.0800461654'
has '"chisq": null, "df": null, "p": null}'
has '"npar": 3, "aic": 22.51167480'
has '"chisq": 2.568371'
has '"df": 1, "p": 0.109019919'

run anova-sleep anova $D/sleepstudy.csv 'Reaction ~ Days' 'Reaction ~ Days + (1|Subject)' 'Reaction ~ Days + (Days|Subject)'
expect_rc 0
has "   npar    AIC    BIC  logLik deviance   Chisq Df Pr(>Chisq)    "
has "m0    3 1906.3 1915.9 -950.15   1900.3                          "
has "m1    4 1802.1 1814.8 -897.04   1794.1 106.214  1  < 2.2e-16 ***"
has "m2    6 1763.9 1783.1 -875.97   1751.9  42.139  2  7.072e-10 ***"
has "Signif. codes:"

F='AqE ~ ID + days + I(days^2) + Precip + Precip_7day'
run anova-soybean anova $D/soybean_sim.csv "$F" "$F + (1|plot_number)" "$F + (1|plot_number) + (1|disk)" --ref ID=RC
expect_rc 0
has "m2: AqE ~ ID + days + I(days^2) + Precip + Precip_7day + (1 | plot_number) + (1 | disk)"
has "m0   46 3100.9 3381.7 -1504.4   3008.9                          "
has "m1   47 3004.4 3291.4 -1455.2   2910.4  98.454  1  < 2.2e-16 ***"
has "m2   48 2893.2 3186.2 -1398.6   2797.2 113.258  1  < 2.2e-16 ***"

# one formula: lmerTest's anova(m), F tables of type III (default), II, I (tests/data/ftables, ftables.R)
OF='yield ~ nitro*Variety + (1|Block/Variety)'
run anova-one-type3 anova $D/Oats_ftab.csv "$OF"
expect_rc 0
head -n 2 "$TMP/out" >"$TMP/got2"; head -n 2 $D/ftables/oats_cov_type3.txt >"$TMP/want2"
same_files anova-one-type3 "$TMP/got2" "$TMP/want2"
has "Variety         655.5   327.8     2 21.575   1.9423    0.1676    "
has "nitro:Variety   168.3    84.2     2 51.000   0.4988    0.6102    "
run anova-one-type2 anova $D/Oats_ftab.csv "$OF" --type 2 --ddf satterthwaite
expect_rc 0
has "Type II Analysis of Variance Table with Satterthwaite's method"
run anova-one-type1-json anova $D/Oats_ftab.csv "$OF" --type 1 --json
expect_rc 0
has '"type": 1, "ddf": "satterthwaite", "terms": [{"term": "nitro"'
# lmerTest: Variety F 1.4853422 on 10.0000 df (type I)
in_range anova-one-type1-f "$(sed -n 's/.*"term": "Variety"[^}]*"f": \([-0-9.eE+]*\).*/\1/p' "$TMP/out")" 1.48533 1.48535
in_range anova-one-type1-dendf "$(sed -n 's/.*"term": "Variety"[^}]*"dendf": \([-0-9.eE+]*\).*/\1/p' "$TMP/out")" 9.9999 10.0001
run anova-one-ml anova $D/Oats_ftab.csv "$OF" --ml --type 3
expect_rc 0
# lmerTest, REML = FALSE (ftables/oats_cov_ML_type3.txt)
has "Variety         711.1   355.5     2 27.658   2.2309    0.1264    "
# sum contrasts: the same type III hypotheses as lmerTest's (ftables/oats_ff_sum_type3.txt)
run anova-one-sum anova $D/Oats_ftab.csv 'yield ~ N*Variety + (1|Block/Variety)' --contrasts sum
expect_rc 0
has "Variety     526.1   263.0     2    10  1.4853    0.2724    "
run anova-one-3way anova $D/Oats_ftab.csv 'yield ~ N*Variety*half + (1|Block/Variety)' --json
expect_rc 0
has '{"term": "N:Variety:half"'

# ---- ranova: lmerTest's ranova(m), printed as R prints it (tests/data/ftables) ----
run ranova-sleep ranova $D/sleepstudy.csv 'Reaction ~ Days + (Days|Subject)'
expect_rc 0
same_files ranova-sleep "$TMP/out" $D/ftables/ranova_sleep_slope.txt
run ranova-oats ranova $D/Oats_ftab.csv 'yield ~ nitro + Variety + (1|Block/Variety)'
expect_rc 0
same_files ranova-oats "$TMP/out" $D/ftables/ranova_oats_nested.txt
run ranova-pastes-ml ranova $D/Pastes.csv 'strength ~ 1 + (1|batch/cask)' --ml
expect_rc 0
same_files ranova-pastes-ml "$TMP/out" $D/ftables/ranova_pastes_nested_ML.txt
run ranova-penicillin-json ranova $D/Penicillin.csv 'diameter ~ 1 + (1|plate) + (1|sample)' --json
expect_rc 0
has '"model": "diameter ~ (1 | plate) + (1 | sample)", "rows": [{"term": "<none>", "npar": 4'
has '"lrt": null, "df": null, "p": null}'
# lmerTest: LRT of (1 | sample), the last row, 282.395435
in_range ranova-penicillin-lrt "$(json_val lrt)" 282.3953 282.3956

# models given out of order: JSON keeps the given order, the table sorts by npar
run anova-order anova $D/sleepstudy.csv 'Reaction ~ Days + (Days|Subject)' 'Reaction ~ Days + (1|Subject)' --json
expect_rc 0
has '{"models": [{"name": "m0", "formula": "Reaction ~ Days + (Days|Subject)", "npar": 6'
has '"chisq": 42.1392'
has '{"name": "m1", "formula": "Reaction ~ Days + (1|Subject)", "npar": 4'

# ---- fit still works (issue 2) -----------------------------------------
run fit-json fit $D/pulp.csv 'bright ~ 1 + (1|operator)' --json
expect_rc 0
has '"reml": true'
has '"fixef": [{"name": "(Intercept)", "estimate": 60.39999'
for key in formula reml nobs criterion loglik df aic bic sigma theta singular fixef vcov varcorr ngroups ranef resid_quantiles; do
    has "\"$key\": "
done
has '"group": "Residual"'
has '"ngroups": {"operator": 4}'
in_range fit-json-criterion "$(json_val criterion)" 18.62620097 18.62620098
# the lecture's REML summary (R 4.2 / lme4 1.1-31 layout)
run fit-text fit $D/pulp.csv 'bright ~ 1 + (1|operator)'
expect_rc 0
has "Linear mixed model fit by REML ['lmerMod']"
has "REML criterion at convergence: 18.6"
has "-1.4666 -0.7595 -0.1244  0.6281  1.6012 "
has " operator (Intercept) 0.06808  0.2609  "
has " Residual             0.10625  0.3260  "
has "Number of obs: 20, groups:  operator, 4"
has "(Intercept)  60.4000     0.1494   404.2"
# ML, correlated slopes, --ref
run fit-ml fit $D/sleepstudy.csv 'Reaction ~ Days + (Days|Subject)' --ml
expect_rc 0
has "     AIC      BIC   logLik deviance df.resid "
has "  1763.9   1783.1   -876.0   1751.9      174 "
run fit-ref fit $D/soybean_sim.csv 'AqE ~ ID + days + (1|plot_number)' --ref ID=NAM05 --json
expect_rc 0
has '"name": "IDRC"'
run fit-corr fit $D/sleepstudy.csv 'Reaction ~ Days + (Days|Subject)' --json
expect_rc 0
has '"corr": [{"group": "Subject", "names": ["(Intercept)", "Days"], "corr": 0.06'
bad_input fit-unknown-col "unknown column 'Dayz' at offset 11 in formula 'Reaction ~ Dayz + (Days|Subject)'" fit $D/sleepstudy.csv 'Reaction ~ Dayz + (Days|Subject)'
bad_input fit-no-re "no random-effects terms" fit $D/sleepstudy.csv 'Reaction ~ Days'
# a file written by R's write.csv(pulp): quoted header with a first "" field, row
# names "1".."20" quoted, labels quoted, numbers bare; the row names are not a
# variable, and the fit is the one of the plain file (same output, byte for byte)
mkdir -p "$TMP/rn"
awk -F, 'NR == 1 { print "\"\",\"" $1 "\",\"" $2 "\""; next } { print "\"" NR - 1 "\"," $1 ",\"" $2 "\"" }' \
    $D/pulp.csv >"$TMP/rn/pulp.csv"
if head -n 2 "$TMP/rn/pulp.csv" | tr '\n' ' ' | grep -F -q '"","bright","operator" "1",59.8,"a" '; then ok
else bad "rn: write.csv layout not made"; fi
run fit-rownames-plain fit $D/pulp.csv 'bright ~ 1 + (1|operator)' --json; expect_rc 0; cp "$TMP/out" "$TMP/rn_plain.out"
run fit-rownames fit "$TMP/rn/pulp.csv" 'bright ~ 1 + (1|operator)' --json; expect_rc 0
same_files fit-rownames "$TMP/rn_plain.out" "$TMP/out"
sed '1s/"bright"/""/' "$TMP/rn/pulp.csv" >"$TMP/rn/empty2.csv"
bad_input fit-empty-name "empty column name for column 2" fit "$TMP/rn/empty2.csv" 'bright ~ 1 + (1|operator)'
# an evaluation limit is a statistical failure: the summary, lme4's optimizer line, a warning, exit 1
run fit-maxevals fit $D/sleepstudy.csv 'Reaction ~ Days + (Days|Subject)' --max-evals 5
expect_rc 1
has "optimizer (bobyqa) convergence code: 1"
if grep -F -q "warning: convergence failure: the optimizer reached its evaluation limit (5 evaluations)" "$TMP/err"; then ok; else bad "fit-maxevals: no warning"; fi
bad_input fit-maxevals-bad "--max-evals needs a positive count" fit $D/pulp.csv 'bright ~ 1 + (1|operator)' --max-evals 0
# one rule: exit 1 exactly when a convergence warning is printed, and the JSON agrees
run fit-maxevals-json fit $D/sleepstudy.csv 'Reaction ~ Days + (Days|Subject)' --max-evals 5 --json
expect_rc 1; has '"converged": false, "warning": "convergence failure: the optimizer reached its evaluation limit (5 evaluations)"'
run fit-clean-json fit $D/sleepstudy.csv 'Reaction ~ Days + (Days|Subject)' --json
expect_rc 0; has '"converged": true, "warning": null'
if [ ! -s "$TMP/err" ]; then ok; else bad "fit-clean-json: stderr not empty"; fi
# Machines ML, over-specified: lme4's optimum 216.41782738 (the boundary basin at 220.58 is left)
run fit-overspec fit $D/Machines.csv 'score ~ Machine + (1|Worker) + (0+Machine|Worker)' --ml --json
if grep -F -q '"criterion": 216.41782' "$TMP/out"; then ok; else bad "fit-overspec: criterion"; grep -o '"criterion": [0-9.]*' "$TMP/out"; fi
if grep -F -q '"converged": false, "warning": "' "$TMP/out"; then
    expect_rc 1; if grep -F -q "lmm: warning: " "$TMP/err"; then ok; else bad "fit-overspec: warned in JSON, not on stderr"; fi
else
    has '"converged": true, "warning": null'; expect_rc 0
fi
run fit-overspec-text fit $D/Machines.csv 'score ~ Machine + (1|Worker) + (0+Machine|Worker)' --ml
if [ "$rc" -eq 1 ]; then has "Model failed to converge"; else expect_rc 0; fi
# --all-optimizers: the summary, then summary(allFit(m))'s sections and the spread line
run fit-allopt fit $D/sleepstudy.csv 'Reaction ~ Days + (Days|Subject)' --all-optimizers
expect_rc 0
has "REML criterion at convergence: 1743.6"
has '$which.OK'
has "              bobyqa          Nelder_Mead      bobyqa.start0.5 "
has '$msgs$Nelder_Mead.random'
has "                     (Intercept)     Days"
has "                     Subject.(Intercept) Subject.Days.(Intercept) Subject.Days"
has '$feval'
has ": the optimum is trustworthy"
run fit-allopt-json fit $D/sleepstudy.csv 'Reaction ~ Days + (Days|Subject)' --all-optimizers --json
expect_rc 0
has '"all_optimizers": [{"label": "bobyqa", "method": "bobyqa", "ok": true, "criterion": 1743.628271958'
has '{"label": "Nelder_Mead.random", "method": "nelder_mead", "ok": true'
if command -v python3 >/dev/null 2>&1; then
    if python3 -c 'import json, sys; d = json.load(sys.stdin); r = d["all_optimizers"]; assert len(r) == 8 and all(len(x["theta"]) == 3 and len(x["beta"]) == 2 and x["converged"] and "nevals" in x and x["warning"] is None for x in r)' <"$TMP/out"
    then ok; else bad "fit-allopt-json: not JSON with 8 all_optimizers rows"; fi
fi
run help-fit-allopt fit --help; has "--all-optimizers"

# --ddf satterthwaite: lmerTest's summary() byte for byte (tests/data/satterthwaite.R)
run fit-ddf fit $D/Oats.csv 'yield ~ nitro + Variety + (1|Block/Variety)' --ddf satterthwaite
expect_rc 0
same_files fit-ddf "$TMP/out" $D/satterthwaite/Oats_REML.txt
run fit-ddf-ml fit $D/sleepstudy.csv 'Reaction ~ Days + (1|Subject)' --ml --ddf satterthwaite
expect_rc 0
same_files fit-ddf-ml "$TMP/out" $D/satterthwaite/sleepstudy_ML.txt
# --json gains df and p per coefficient (lmerTest: df 16.99998, p 3.264e-06 for Days)
run fit-ddf-json fit $D/sleepstudy.csv 'Reaction ~ Days + (Days|Subject)' --ddf satterthwaite --json
expect_rc 0
in_range fit-ddf-json "$(sed -n 's/.*"name": "Days"[^}]*"df": \([-0-9.eE+]*\).*/\1/p' "$TMP/out")" 16.999 17.001
in_range fit-ddf-json "$(sed -n 's/.*"name": "Days"[^}]*"p": \([-0-9.eE+]*\).*/\1/p' "$TMP/out")" 3.263e-06 3.265e-06
run fit-json-noddf fit $D/sleepstudy.csv 'Reaction ~ Days + (Days|Subject)' --json
if grep -F '"p": ' "$TMP/out" >/dev/null; then bad "fit-json-noddf: p without --ddf"; else ok; fi
bad_input fit-ddf-bad "--ddf takes 'satterthwaite' or 'kenward-roger'" fit $D/sleepstudy.csv 'Reaction ~ Days + (Days|Subject)' --ddf nonsense
run help-fit-ddf fit --help; has "--ddf satterthwaite"; has "--ddf kenward-roger"
# --ddf kenward-roger: summary(m, ddf = "Kenward-Roger") byte for byte (tests/data/kenward_roger.R)
run fit-ddf-kr fit $D/sleepstudy.csv 'Reaction ~ Days + (1|Subject)' --ddf kenward-roger
expect_rc 0
same_files fit-ddf-kr "$TMP/out" $D/kenward_roger/sleepstudy_summary.txt
# --json: the adjusted se and KR df, p (unbalanced sleepstudy: pbkrtest's se 1.741773, df 16.98423, p 9.0959e-06 for Days)
run fit-ddf-kr-json fit $D/kenward_roger/sleepstudy_unbal.csv 'Reaction ~ Days + (Days|Subject)' --ddf kenward-roger --json
expect_rc 0
in_range fit-ddf-kr-json "$(sed -n 's/.*"name": "Days"[^}]*"se": \([-0-9.eE+]*\).*/\1/p' "$TMP/out")" 1.74176 1.74179
in_range fit-ddf-kr-json "$(sed -n 's/.*"name": "Days"[^}]*"df": \([-0-9.eE+]*\).*/\1/p' "$TMP/out")" 16.983 16.986
in_range fit-ddf-kr-json "$(sed -n 's/.*"name": "Days"[^}]*"p": \([-0-9.eE+]*\).*/\1/p' "$TMP/out")" 9.095e-06 9.097e-06
# Kenward-Roger on an ML fit is refused (lmerTest's message); --ddf is not an option of lm
bad_input fit-ddf-kr-ml "Kenward-Roger's method is only available for REML model fits" fit $D/sleepstudy.csv 'Reaction ~ Days + (1|Subject)' --ml --ddf kenward-roger
bad_input lm-ddf "unknown option '--ddf'" lm $D/sleepstudy.csv 'Reaction ~ Days' --ddf kenward-roger
# contest: lmerTest's contest(m, L) (R: Days 45.85296 on 16.99998 df, p 3.263824e-06; (1,0)+(0,1)
# jointly 749.9505 on 2 and 16.99985 df; Kenward-Roger 705.8357 on 2 and 16, p 2.488477e-16);
# our sleepstudy optimum is lme4's to ~1e-6, so F and df agree to 1e-4
S2='Reaction ~ Days + (Days|Subject)'
run contest-1 contest $D/sleepstudy.csv "$S2" --L '0,1'
expect_rc 0; has "    Sum Sq  Mean Sq NumDF    DenDF  F value"
run contest-1-json contest $D/sleepstudy.csv "$S2" --L '0 1' --json
expect_rc 0
in_range contest-1-f "$(json_val f)" 45.849 45.857; in_range contest-1-ddf "$(json_val den_df)" 16.9983 17.0017
in_range contest-1-p "$(json_val p)" 3.2634e-06 3.2643e-06; in_range contest-1-t "$(json_val t)" 6.7711 6.7718
run contest-2-json contest $D/sleepstudy.csv "$S2" --L '1,0' --L '0,1' --json
expect_rc 0
in_range contest-2-f "$(json_val f)" 749.88 750.03; in_range contest-2-numdf "$(json_val num_df)" 2 2
in_range contest-2-ddf "$(json_val den_df)" 16.998 17.002
run contest-kr-json contest $D/sleepstudy.csv "$S2" --L '1,0' --L '0,1' --ddf kenward-roger --json
expect_rc 0
in_range contest-kr-f "$(json_val f)" 705.77 705.91; in_range contest-kr-ddf "$(json_val den_df)" 15.9984 16.0016
in_range contest-kr-p "$(json_val p)" 2.4882e-16 2.4888e-16
bad_input contest-length "--L row 1 has 3 values; the model has 2 fixed-effect coefficients" contest $D/sleepstudy.csv "$S2" --L '0,1,2'
bad_input contest-nan "is not a list of numbers" contest $D/sleepstudy.csv "$S2" --L '0,x'
bad_input contest-no-l "at least one --L row" contest $D/sleepstudy.csv "$S2"
bad_input contest-kr-ml "Kenward-Roger's method is only available for REML model fits" contest $D/sleepstudy.csv "$S2" --L '0,1' --ml --ddf kenward-roger
bad_input contest-lm "random-effects terms" contest $D/sleepstudy.csv 'Reaction ~ Days' --L '0,1'
# anova(m, ddf = "Kenward-Roger") byte for byte, and refused on an ML fit
run anova-ddf-kr anova $D/sleepstudy.csv 'Reaction ~ Days + (1|Subject)' --ddf kenward-roger
expect_rc 0
same_files anova-ddf-kr "$TMP/out" $D/kenward_roger/sleepstudy_anova.txt
bad_input anova-ddf-kr-ml "Kenward-Roger's method is only available for REML model fits" anova $D/sleepstudy.csv 'Reaction ~ Days + (1|Subject)' --ml --ddf kenward-roger

# ---- boot and boot-merge ------------------------------------------------
P0='bright ~ 1'; P1='bright ~ 1 + (1|operator)'
run help-boot-list --help; has "boot DATA.csv 'F0' 'F1'"; has "boot-merge FILE..."
run help-boot-merge boot-merge --help; expect_rc 0; has "usage: lmm boot-merge FILE..."; has "--json"
run help-boot-opts boot --help; has "--shard K/N"; has "--nsim B"; has "--seed S"; has "--threads T"; has "--out FILE"

run boot-pulp boot $D/pulp.csv "$P0" "$P1" --nsim 1000 --seed 42
expect_rc 0
has "observed LRT: 2.568371"
has "replicates: 1000, seed 42"
in_range boot-pulp-p "$(sed -n 's/^p-value: \([0-9.]*\) .*/\1/p' "$TMP/out")" 0.015 0.040
in_range boot-pulp-zero "$(sed -n 's/^share of statistics below 1e-5: //p' "$TMP/out")" 0.62 0.76
grep -E '^(observed|p-value|share|valid|replicates)' "$TMP/out" >"$TMP/single.txt"

run boot-pulp-json boot $D/pulp.csv "$P0" "$P1" --nsim 1000 --seed 42 --json
expect_rc 0
for k in nsim seed threads observed pvalue pvalue_se frac_zero elapsed_s; do has "\"$k\": "; done
has '"nsim": 1000, "seed": 42'
has '"observed": 2.56837'
in_range boot-json-p "$(json_val pvalue)" 0.015 0.040
in_range boot-json-zero "$(json_val frac_zero)" 0.62 0.76
in_range boot-json-se "$(json_val pvalue_se)" 0.003 0.0065
in_range boot-json-elapsed "$(json_val elapsed_s)" 0 60
sed 's/, "threads": [0-9]*//; s/, "elapsed_s": [^}]*//' "$TMP/out" >"$TMP/single.json"

# the same seed gives the same statistics whatever the thread count
run boot-threads boot $D/pulp.csv "$P0" "$P1" --nsim 1000 --seed 42 --threads 2 --json
expect_rc 0
sed 's/, "threads": [0-9]*//; s/, "elapsed_s": [^}]*//' "$TMP/out" >"$TMP/threads.json"
same_files boot-threads "$TMP/single.json" "$TMP/threads.json"

# 4 shards (written in any order) merge into exactly the single run
for k in 3 0 2 1; do
    run "boot-shard-$k" boot $D/pulp.csv "$P0" "$P1" --nsim 1000 --seed 42 --shard $k/4 --out "$TMP/shard$k.txt"
    expect_rc 0
done
has "replicates: [250, 500) of 1000 (a shard), seed 42"
if [ "$(grep -c -v '^#' "$TMP/shard1.txt")" -eq 250 ]; then ok; else bad "boot-shard-1: not 250 statistic lines"; fi
if head -n 1 "$TMP/shard1.txt" | grep -F "nsim 1000 seed 42 first 250 last 500" >/dev/null; then ok; else bad "boot-shard-1: header"; fi
if grep -E '^250 [0-9]' "$TMP/shard1.txt" >/dev/null; then ok; else bad "boot-shard-1: no line for replicate 250"; fi
run boot-merge boot-merge "$TMP/shard2.txt" "$TMP/shard0.txt" "$TMP/shard3.txt" "$TMP/shard1.txt"
expect_rc 0
has "null: bright ~ 1"
grep -E '^(observed|p-value|share|valid|replicates)' "$TMP/out" >"$TMP/merged.txt"
same_files boot-merge-text "$TMP/single.txt" "$TMP/merged.txt"
run boot-merge-json boot-merge "$TMP/shard0.txt" "$TMP/shard1.txt" "$TMP/shard2.txt" "$TMP/shard3.txt" --json
expect_rc 0
sed 's/, "threads": [0-9]*//; s/, "elapsed_s": [^}]*//' "$TMP/out" >"$TMP/merged.json"
same_files boot-merge-json "$TMP/single.json" "$TMP/merged.json"
# uneven shards (333, 333, 334), an lmer null (sleepstudy) and a single-file "merge" of a whole run
S0='Reaction ~ Days + (1|Subject)'; S1='Reaction ~ Days + (Days|Subject)'
run boot-sleep boot $D/sleepstudy.csv "$S0" "$S1" --nsim 60 --seed 7 --json --out "$TMP/whole.txt"
expect_rc 0
has '"observed": 42.139'
sed 's/, "threads": [0-9]*//; s/, "elapsed_s": [^}]*//' "$TMP/out" >"$TMP/s_single.json"
for k in 0 1 2; do
    run "boot-sleep-shard-$k" boot $D/sleepstudy.csv "$S0" "$S1" --nsim 60 --seed 7 --shard $k/3 --out "$TMP/ss$k.txt"
    expect_rc 0
done
run boot-sleep-merge boot-merge "$TMP/ss1.txt" "$TMP/ss2.txt" "$TMP/ss0.txt" --json
expect_rc 0
sed 's/, "threads": [0-9]*//; s/, "elapsed_s": [^}]*//' "$TMP/out" >"$TMP/s_merged.json"
same_files boot-sleep-merge "$TMP/s_single.json" "$TMP/s_merged.json"
run boot-merge-whole boot-merge "$TMP/whole.txt" --json
expect_rc 0
sed 's/, "threads": [0-9]*//; s/, "elapsed_s": [^}]*//' "$TMP/out" >"$TMP/s_whole.json"
same_files boot-merge-whole "$TMP/s_single.json" "$TMP/s_whole.json"

# boot errors
bad_input boot-nsim-zero "--nsim" boot $D/pulp.csv "$P0" "$P1" --nsim 0
bad_input boot-nsim-text "--nsim" boot $D/pulp.csv "$P0" "$P1" --nsim ten
bad_input boot-nsim-missing "--nsim needs a value" boot $D/pulp.csv "$P0" "$P1" --nsim
bad_input boot-seed-negative "--seed" boot $D/pulp.csv "$P0" "$P1" --seed -3
bad_input boot-seed-text "--seed" boot $D/pulp.csv "$P0" "$P1" --seed 1x
bad_input boot-threads "--threads" boot $D/pulp.csv "$P0" "$P1" --threads -1
bad_input boot-shard-range "--shard" boot $D/pulp.csv "$P0" "$P1" --shard 4/4 --out "$TMP/x.txt"
bad_input boot-shard-noslash "--shard" boot $D/pulp.csv "$P0" "$P1" --shard 1 --out "$TMP/x.txt"
bad_input boot-shard-zero "--shard" boot $D/pulp.csv "$P0" "$P1" --shard 0/0 --out "$TMP/x.txt"
bad_input boot-shard-text "--shard" boot $D/pulp.csv "$P0" "$P1" --shard a/b --out "$TMP/x.txt"
bad_input boot-shard-toomany "must not exceed --nsim" boot $D/pulp.csv "$P0" "$P1" --nsim 10 --shard 0/20 --out "$TMP/x.txt"
bad_input boot-shard-no-out "--shard needs --out" boot $D/pulp.csv "$P0" "$P1" --shard 0/2
bad_input boot-out-missing "--out needs a value" boot $D/pulp.csv "$P0" "$P1" --out
bad_input boot-out-unwritable "cannot open for writing" boot $D/pulp.csv "$P0" "$P1" --nsim 5 --out "$TMP/no/such/dir.txt"
bad_input boot-missing-file "cannot open" boot "$TMP/no-such.csv" "$P0" "$P1"
bad_input boot-one-formula "needs DATA.csv, 'NULL_FORMULA' and 'ALT_FORMULA'" boot $D/pulp.csv "$P0"
bad_input boot-alt-lm "alternative formula needs a random-effects term" boot $D/pulp.csv "$P0" 'bright ~ operator'
bad_input boot-bad-formula "offset" boot $D/pulp.csv 'bright ~ (' "$P1"
bad_input boot-unknown-column "unknown column 'operatr'" boot $D/pulp.csv "$P0" 'bright ~ 1 + (1|operatr)'
bad_input boot-bad-option "unknown option '--bogus'" boot $D/pulp.csv "$P0" "$P1" --bogus
printf 'y,g,x\n1.2,a,1\n0.7,a,2\n2.1,b,\n1.9,b,4\n3.3,c,5\n2.6,c,6\n' >"$TMP/na.csv"
bad_input boot-other-rows "observations" boot "$TMP/na.csv" 'y ~ 1' 'y ~ x + (1|g)' --nsim 5
bad_input merge-none "needs one or more statistics files" boot-merge
bad_input merge-bad-option "unknown option '--bogus'" boot-merge "$TMP/shard0.txt" --bogus
bad_input merge-missing-file "cannot open" boot-merge "$TMP/no-such.txt"
bad_input merge-incomplete "hold 750 of 1000 replicates" boot-merge "$TMP/shard0.txt" "$TMP/shard1.txt" "$TMP/shard3.txt"
bad_input merge-overlap "overlap" boot-merge "$TMP/shard0.txt" "$TMP/shard0.txt" "$TMP/shard1.txt" "$TMP/shard2.txt"
bad_input merge-other-formulas "other formulas" boot-merge "$TMP/shard0.txt" "$TMP/ss1.txt"
run boot-seed43 boot $D/pulp.csv "$P0" "$P1" --nsim 1000 --seed 43 --shard 1/4 --out "$TMP/seed43.txt"
bad_input merge-other-run "another run" boot-merge "$TMP/shard0.txt" "$TMP/seed43.txt" "$TMP/shard2.txt" "$TMP/shard3.txt"
bad_input merge-not-stats "bad header line" boot-merge $D/pulp.csv
sed '$d' "$TMP/shard1.txt" >"$TMP/trunc.txt"
bad_input merge-truncated "holds 249 of the 250 replicates" boot-merge "$TMP/trunc.txt"
sed 's/^260 .*/260 abc/' "$TMP/shard1.txt" >"$TMP/corrupt.txt"
bad_input merge-corrupt "'abc' is not a number" boot-merge "$TMP/corrupt.txt"
sed '/^260 /d' "$TMP/shard1.txt" >"$TMP/gap.txt"
bad_input merge-gap "expected replicate 260" boot-merge "$TMP/gap.txt"

# ---- predict (reference values: R 4.2, lme4 predict(..., allow.new.levels = TRUE)) ----
SL='Reaction ~ Days + (Days|Subject)'
printf 'Days,Subject\n3,308\n5,999\n0,335\n9.5,372\n' >"$TMP/sleep_new.csv"
printf 'operator\na\nz\n' >"$TMP/pulp_new.csv"
run help-predict-list --help; has "predict DATA.csv 'FORMULA' NEWDATA.csv"
run help-predict-opts predict --help; has "--level cond|pop"; has "--interval boot"; has "--nsim B"
run predict-sleep predict $D/sleepstudy.csv "$SL" "$TMP/sleep_new.csv"
expect_rc 0
has "Conditional predictions"
has "    1     312.6624"
has "    2     303.7415"
has "    3     251.0714"
has "    4     375.3571"
run predict-sleep-pop predict $D/sleepstudy.csv "$SL" "$TMP/sleep_new.csv" --level pop --json
expect_rc 0
has '"level": "pop"'
has '{"row": 1, "fit": 282.80696'
has '{"row": 2, "fit": 303.74153'
has '{"row": 3, "fit": 251.40510'
has '{"row": 4, "fit": 350.84432'
run predict-sleep-ml predict $D/sleepstudy.csv "$SL" "$TMP/sleep_new.csv" --ml --json
expect_rc 0
has '{"row": 1, "fit": 312.849'
has '{"row": 3, "fit": 250.367'
# a group column missing from NEWDATA: population level works, conditional does not
printf 'Days\n1\n' >"$TMP/nogroup.csv"
run predict-nogroup-pop predict $D/sleepstudy.csv "$SL" "$TMP/nogroup.csv" --level pop
expect_rc 0
has "    1     261.8723"
# a missing value gives NA (null in JSON)
printf 'Days,Subject\n,308\n2,308\n' >"$TMP/na_new.csv"
run predict-na predict $D/sleepstudy.csv "$SL" "$TMP/na_new.csv" --json
expect_rc 0
has '{"row": 1, "fit": null}'
# as text: R's NA right-aligned in the column, never nan (row 2: R 4.2 predict, 292.9962)
run predict-na-text predict $D/sleepstudy.csv "$SL" "$TMP/na_new.csv"
expect_rc 0
has "    1             NA"
has "    2     292.99"
if grep -i -q nan "$TMP/out"; then bad "predict-na-text: prints nan"; else ok; fi
run predict-na-boot predict $D/sleepstudy.csv "$SL" "$TMP/na_new.csv" --interval boot --nsim 20 --seed 1
expect_rc 0
has "    1             NA             NA             NA"
if grep -i -q nan "$TMP/out"; then bad "predict-na-boot: prints nan"; else ok; fi
run predict-pulp predict $D/pulp.csv 'bright ~ 1 + (1|operator)' "$TMP/pulp_new.csv" --json
expect_rc 0
has '{"row": 1, "fit": 60.27805'
has '{"row": 2, "fit": 60.39999'
# bootstrap prediction intervals (lecture: known operator a about (59.61, 60.98),
# new operator about (59.63, 61.24), each end within 0.12)
run predict-pulp-boot predict $D/pulp.csv 'bright ~ 1 + (1|operator)' "$TMP/pulp_new.csv" --interval boot --nsim 1000 --seed 3 --json
expect_rc 0
has '"interval": "boot", "conf": 0.95, "nsim": 1000, "seed": 3'
a_lwr=$(sed -n 's/.*"row": 1, [^}]*"lwr": \([-0-9.eE+]*\).*/\1/p' "$TMP/out")
a_upr=$(sed -n 's/.*"row": 1, [^}]*"upr": \([-0-9.eE+]*\).*/\1/p' "$TMP/out")
n_lwr=$(sed -n 's/.*"row": 2, [^}]*"lwr": \([-0-9.eE+]*\).*/\1/p' "$TMP/out")
n_upr=$(sed -n 's/.*"row": 2, [^}]*"upr": \([-0-9.eE+]*\).*/\1/p' "$TMP/out")
in_range predict-boot-a-lwr "$a_lwr" 59.49 59.73
in_range predict-boot-a-upr "$a_upr" 60.86 61.10
in_range predict-boot-new-lwr "$n_lwr" 59.51 59.75
in_range predict-boot-new-upr "$n_upr" 61.12 61.36
run predict-pulp-boot-text predict $D/pulp.csv 'bright ~ 1 + (1|operator)' "$TMP/pulp_new.csv" --interval boot --nsim 200 --seed 3
expect_rc 0
has "95% bootstrap prediction intervals, 200 replicates, seed 3"
has "  row            fit         se.fit            lwr            upr"
run predict-sleep-boot predict $D/sleepstudy.csv "$SL" "$TMP/sleep_new.csv" --interval boot --nsim 50 --seed 1 --json
expect_rc 0
has '"upr": '
bad_input predict-missing-file "cannot open" predict "$TMP/no-such.csv" "$SL" "$TMP/sleep_new.csv"
bad_input predict-missing-newdata "NEWDATA" predict $D/sleepstudy.csv "$SL" "$TMP/no-such.csv"
bad_input predict-no-group "no column 'Subject'" predict $D/sleepstudy.csv "$SL" "$TMP/nogroup.csv"
printf 'Subject\n308\n' >"$TMP/nodays.csv"
bad_input predict-no-covariate "Days" predict $D/sleepstudy.csv "$SL" "$TMP/nodays.csv"
bad_input predict-bad-level "--level takes 'cond', 'pop' or a confidence level" predict $D/sleepstudy.csv "$SL" "$TMP/sleep_new.csv" --level group
bad_input predict-bad-interval "--interval takes 'confidence', 'prediction' or 'boot'" predict $D/sleepstudy.csv "$SL" "$TMP/sleep_new.csv" --interval wald
bad_input predict-nsim-no-interval "need --interval boot" predict $D/sleepstudy.csv "$SL" "$TMP/sleep_new.csv" --nsim 10
bad_input predict-bad-nsim "--nsim" predict $D/pulp.csv 'bright ~ 1 + (1|operator)' "$TMP/pulp_new.csv" --interval boot --nsim -5
# two random-effects terms: the bootstrap takes any structure
run predict-two-terms predict $D/sleepstudy.csv 'Reaction ~ Days + (1|Subject) + (0 + Days|Subject)' "$TMP/sleep_new.csv" --interval boot --nsim 20 --seed 2
expect_rc 0
has "95% bootstrap prediction intervals, 20 replicates, seed 2"
bad_input predict-lm "random-effects term" predict $D/sleepstudy.csv 'Reaction ~ Days' "$TMP/sleep_new.csv"
bad_input predict-one-arg "needs DATA.csv, 'FORMULA' and NEWDATA.csv" predict $D/sleepstudy.csv "$SL"
bad_input predict-bad-formula "offset" predict $D/sleepstudy.csv 'Reaction ~ (Days' "$TMP/sleep_new.csv"
printf 'operator\nq\n' >"$TMP/pulp_fixed.csv"
bad_input predict-new-fixed-level "not in the training data" predict $D/pulp.csv 'bright ~ operator + (1|operator)' "$TMP/pulp_fixed.csv"

# ---- predict --interval (tests/data/predict_intervals.R: lme4's vcov, VarCorr and PLS system;
#      our fit agrees with lme4's to about 1e-6, so each figure is checked to 1e-5 relative) ----
PN=$D/predict_intervals
# close NAME VALUE WANT: |VALUE - WANT| <= 1e-5 |WANT|
close() { in_range "$1" "$2" "$(awk -v w="$3" 'BEGIN { printf "%.10f", w - 1e-5 * (w < 0 ? -w : w) }')" "$(awk -v w="$3" 'BEGIN { printf "%.10f", w + 1e-5 * (w < 0 ? -w : w) }')"; }
# row_val ROW KEY: KEY of prediction ROW in the last JSON output
row_val() { sed -n "s/.*{\"row\": $1, [^}]*\"$2\": \([-0-9.eE+]*\).*/\1/p" "$TMP/out"; }
run predict-conf predict $D/sleepstudy.csv "$SL" $PN/sleepstudy_new.csv --interval confidence --json
expect_rc 0
has '"interval": "confidence", "conf": 0.95'
close predict-conf-fit1 "$(row_val 1 fit)" 243.8305249358052
close predict-conf-se1 "$(row_val 1 se.fit)" 13.182668380562902
close predict-conf-lwr1 "$(row_val 1 lwr)" 217.99296968976694
close predict-conf-se3 "$(row_val 3 se.fit)" 7.365720474649496
has '{"row": 4, "fit": null, "se.fit": null, "lwr": null, "upr": null}'
# population-level prediction interval at 0.9: fit -/+ qnorm(0.95) * R's pred_se (36.26054689076725)
run predict-pred-pop predict $D/sleepstudy.csv "$SL" $PN/sleepstudy_new.csv --interval prediction --level pop --level 0.9 --json
expect_rc 0
has '"level": "pop", "interval": "prediction", "conf": 0.9'
close predict-pred-pop-lwr1 "$(row_val 1 lwr)" "$(awk 'BEGIN { printf "%.10f", 246.17146186868698 - 1.6448536269514722 * 36.26054689076725 }')"
close predict-pred-pop-se1 "$(row_val 1 se.fit)" 6.9730606530578765
# weighted with an offset: sigma^2 / w from NEWDATA's w column; x has an NA in row 4
run predict-pred-w predict $D/sleepstudy_w.csv 'Reaction ~ Days + offset(log(x)) + (Days|Subject)' $PN/weighted_new.csv --weights w --interval prediction --json
expect_rc 0
close predict-pred-w-lwr1 "$(row_val 1 lwr)" 219.83170754089053
close predict-pred-w-upr2 "$(row_val 2 upr)" 355.18797546275135
close predict-pred-w-upr3 "$(row_val 3 upr)" 445.436311958602
has '{"row": 4, "fit": null'
printf 'Days,x,Subject\n1,2,308\n' >"$TMP/w_new.csv"
run predict-pred-w-note predict $D/sleepstudy_w.csv 'Reaction ~ Days + offset(log(x)) + (Days|Subject)' "$TMP/w_new.csv" --weights w --interval prediction
expect_rc 0
if grep -q "no weights column w: new observations get weight 1" "$TMP/err"; then ok; else bad "predict-pred-w-note: no note on stderr"; fi
# crossed terms, text layout; NA printed as NA, never nan
run predict-pen-text predict $D/Penicillin.csv 'diameter ~ 1 + (1|plate) + (1|sample)' $PN/penicillin_new.csv --interval prediction --level 0.9
expect_rc 0
has "90% Wald prediction intervals of a new observation (normal quantiles)"
has "  row            fit         se.fit            lwr            upr"
has "    1      25.96382"
# bootstrap: the same numbers for a seed, whatever --threads; another seed differs
run predict-boot-t1 predict $D/Penicillin.csv 'diameter ~ 1 + (1|plate) + (1|sample)' $PN/penicillin_new.csv --interval boot --nsim 40 --seed 5 --threads 1
cp "$TMP/out" "$TMP/boot_t1.txt"
run predict-boot-t2 predict $D/Penicillin.csv 'diameter ~ 1 + (1|plate) + (1|sample)' $PN/penicillin_new.csv --interval boot --nsim 40 --seed 5 --threads 2
expect_rc 0
same_files predict-boot-threads "$TMP/boot_t1.txt" "$TMP/out"
run predict-boot-seed6 predict $D/Penicillin.csv 'diameter ~ 1 + (1|plate) + (1|sample)' $PN/penicillin_new.csv --interval boot --nsim 40 --seed 6
if cmp -s "$TMP/boot_t1.txt" "$TMP/out"; then bad "predict-boot-seed6: same output as seed 5"; else ok; fi
bad_input predict-level-0 "confidence level strictly between 0 and 1" predict $D/sleepstudy.csv "$SL" $PN/sleepstudy_new.csv --interval confidence --level 0
bad_input predict-level-1 "confidence level strictly between 0 and 1" predict $D/sleepstudy.csv "$SL" $PN/sleepstudy_new.csv --interval prediction --level 1
bad_input predict-level-text "--level takes" predict $D/sleepstudy.csv "$SL" $PN/sleepstudy_new.csv --level 95%
bad_input predict-interval-foo "--interval takes 'confidence', 'prediction' or 'boot'" predict $D/sleepstudy.csv "$SL" $PN/sleepstudy_new.csv --interval foo
bad_input predict-interval-none "--interval" predict $D/sleepstudy.csv "$SL" $PN/sleepstudy_new.csv --interval
bad_input predict-threads-no-boot "need --interval boot" predict $D/sleepstudy.csv "$SL" $PN/sleepstudy_new.csv --interval confidence --threads 2

# ---- ranef (R 4.2: ranef(m, condVar = TRUE), sqrt(attr(, "postVar"))) ----
run help-ranef-list --help; has "ranef DATA.csv 'FORMULA'"
run ranef-pulp ranef $D/pulp.csv 'bright ~ 1 + (1|operator)'
expect_rc 0
has '$operator'
has "level name                mode       condsd        lower        upper"
has "a     (Intercept)    -0.121940     0.127260    -0.371366     0.127485"
has "b     (Intercept)    -0.259123     0.127260    -0.508549    -0.009697"
has "d     (Intercept)     0.213396     0.127260    -0.036030     0.462821"
run ranef-pulp-json ranef $D/pulp.csv 'bright ~ 1 + (1|operator)' --json
expect_rc 0
has '"reml": true, "conf": 0.95'
has '{"group": "operator", "level": "a", "name": "(Intercept)", "mode": -0.12194029'
has '"condsd": 0.127260346'
has '"level": "c", "name": "(Intercept)", "mode": 0.1676679'
run ranef-sleep ranef $D/sleepstudy.csv 'Reaction ~ Days + (Days|Subject)'
expect_rc 0
has '$Subject'
has "308   (Intercept)     2.2585"
has "308   Days            9.1989"
has "    12.0708"
has "     2.3048"
run ranef-sleep-json ranef $D/sleepstudy.csv 'Reaction ~ Days + (Days|Subject)' --json
expect_rc 0
has '"level": "309", "name": "(Intercept)", "mode": -40.398'
has '"level": "309", "name": "Days", "mode": -8.6197'
run ranef-ml ranef $D/pulp.csv 'bright ~ 1 + (1|operator)' --ml
expect_rc 0
has "(ML fit)"
bad_input ranef-missing-file "cannot open" ranef "$TMP/no-such.csv" 'y ~ 1 + (1|g)'
bad_input ranef-no-random "random-effects term" ranef $D/pulp.csv 'bright ~ operator'
bad_input ranef-unknown-column "unknown column 'operatr'" ranef $D/pulp.csv 'bright ~ 1 + (1|operatr)'
bad_input ranef-bad-formula "offset" ranef $D/pulp.csv 'bright ~ 1 + (1|'
bad_input ranef-one-arg "needs DATA.csv and 'FORMULA'" ranef $D/pulp.csv
bad_input ranef-bad-option "unknown option '--bogus'" ranef $D/pulp.csv 'bright ~ 1 + (1|operator)' --bogus

# ---- confint (R 4.2, lme4 1.1-31: confint(m, method = ...); tests/data/confint) ----
run help-confint confint --help; expect_rc 0; has "usage: lmm confint DATA.csv"; has "--json"; has "--method M"
run help-confint-list --help; has "confint DATA.csv 'FORMULA'"
# Wald: lme4's matrix as R prints it (pulp's optimum matches lme4's to the printed digits)
run confint-wald-pulp confint $D/pulp.csv 'bright ~ 1 + (1|operator)' --method wald
expect_rc 0
printf '%s\n' '              2.5 %  97.5 %' '.sig01           NA      NA' '.sigma           NA      NA' \
    '(Intercept) 60.1071 60.6929' >"$TMP/want"
same_files confint-wald-pulp "$TMP/out" "$TMP/want"
run confint-wald-level confint $D/sleepstudy.csv 'Reaction ~ Days + (Days|Subject)' --method wald --level 0.9
expect_rc 0; has "                  5 %      95 %"; has ".sig03             NA        NA"
# profile (the default): lme4's 14.3814344 37.7160121 for .sig01, -0.4815004 0.6849862 for .sig02
run confint-profile-sleep confint $D/sleepstudy.csv 'Reaction ~ Days + (Days|Subject)'
expect_rc 0; has "                  2.5 %     97.5 %"; has ".sig01       14.38"; has "Days          7.358"
run confint-profile-json confint $D/sleepstudy.csv 'Reaction ~ Days + (Days|Subject)' --json --parm .sig02
expect_rc 0; has '"method": "profile"'; has '"columns": ["2.5 %", "97.5 %"]'
in_range confint-profile-json-lower "$(json_val lower)" -0.4820 -0.4810
in_range confint-profile-json-upper "$(json_val upper)" 0.6843 0.6857
cp "$TMP/out" "$TMP/prof1"
run confint-profile-threads confint $D/sleepstudy.csv 'Reaction ~ Days + (Days|Subject)' --json --parm .sig02 --threads 2
expect_rc 0; same_files confint-profile-threads "$TMP/out" "$TMP/prof1"
# a boundary: Dyestuff2's .sig01 is 0 at the optimum, lme4's limits 0 and 2.084043
run confint-dyestuff2 confint $D/Dyestuff2.csv 'Yield ~ 1 + (1|Batch)' --json --parm theta_
expect_rc 0; has '"lower": 0,'
# boot: percentile intervals; the same seed gives the same table, threads or not
run confint-boot confint $D/pulp.csv 'bright ~ 1 + (1|operator)' --method boot --nsim 200 --seed 5 --json
expect_rc 0; has '"nsim": 200, "nvalid": 200, "seed": 5'; cp "$TMP/out" "$TMP/boot1"
run confint-boot-threads confint $D/pulp.csv 'bright ~ 1 + (1|operator)' --method boot --nsim 200 --seed 5 --json --threads 2
expect_rc 0; same_files confint-boot-threads "$TMP/out" "$TMP/boot1"
in_range confint-boot-sigma-lower "$(sed -n 's/.*"name": ".sigma", "estimate": [-0-9.e]*, "lower": \([-0-9.e]*\).*/\1/p' "$TMP/out")" 0.15 0.32
# boot shards written to files and merged: the single run's table
run confint-boot-text confint $D/pulp.csv 'bright ~ 1 + (1|operator)' --method boot --nsim 60 --seed 9
expect_rc 0; cp "$TMP/out" "$TMP/ci_full"
run confint-shard0 confint $D/pulp.csv 'bright ~ 1 + (1|operator)' --method boot --nsim 60 --seed 9 --shard 0/3 --out "$TMP/ci0"
expect_rc 0; has "replicates 0 to 19 of 60 written to"
run confint-shard1 confint $D/pulp.csv 'bright ~ 1 + (1|operator)' --method boot --nsim 60 --seed 9 --shard 1/3 --out "$TMP/ci1"
run confint-shard2 confint $D/pulp.csv 'bright ~ 1 + (1|operator)' --method boot --nsim 60 --seed 9 --shard 2/3 --out "$TMP/ci2"
run confint-merge confint-merge "$TMP/ci2" "$TMP/ci0" "$TMP/ci1"
expect_rc 0; same_files confint-merge "$TMP/out" "$TMP/ci_full"
run help-confint-merge confint-merge --help; expect_rc 0; has "usage: lmm confint-merge FILE..."
bad_input confint-merge-gap "the shards hold 40 of 60 replicates" confint-merge "$TMP/ci0" "$TMP/ci2"
bad_input confint-merge-overlap "overlap" confint-merge "$TMP/ci0" "$TMP/ci0" "$TMP/ci1"
printf 'nonsense\n' >"$TMP/ci_bad"
bad_input confint-merge-bad-file "not a replicates file" confint-merge "$TMP/ci_bad"
bad_input confint-merge-none "needs one or more replicate files" confint-merge
bad_input confint-shard-no-out "--shard needs --out FILE" confint $D/pulp.csv 'bright ~ 1 + (1|operator)' --method boot --shard 0/2
bad_input confint-out-profile "--shard and --out apply to --method boot" confint $D/pulp.csv 'bright ~ 1 + (1|operator)' --out "$TMP/x"
bad_input confint-level-high "strictly between 0 and 1" confint $D/pulp.csv 'bright ~ 1 + (1|operator)' --level 1.5
bad_input confint-level-zero "strictly between 0 and 1" confint $D/pulp.csv 'bright ~ 1 + (1|operator)' --level 0
bad_input confint-level-text "strictly between 0 and 1" confint $D/pulp.csv 'bright ~ 1 + (1|operator)' --level high
bad_input confint-method "--method takes profile, wald or boot" confint $D/pulp.csv 'bright ~ 1 + (1|operator)' --method bayes
bad_input confint-parm "no parameter 'zz'" confint $D/pulp.csv 'bright ~ 1 + (1|operator)' --parm zz
bad_input confint-nsim "--nsim takes a positive integer" confint $D/pulp.csv 'bright ~ 1 + (1|operator)' --method boot --nsim 0
bad_input confint-no-random "random-effects term" confint $D/pulp.csv 'bright ~ operator'
bad_input confint-one-arg "needs DATA.csv and 'FORMULA'" confint $D/pulp.csv
bad_input confint-missing-file "cannot open" confint "$TMP/no-such.csv" 'y ~ 1 + (1|g)'

# ---- plot: standalone SVG, rendered by rsvg-convert when it is installed ----
if command -v rsvg-convert >/dev/null 2>&1; then HAVE_RSVG=1; else HAVE_RSVG=0; echo "note: rsvg-convert not found; SVG plots are checked as text only"; fi
# svg_ok NAME: the last stdout is one SVG document that renders
svg_ok() {
    if grep -F '<svg' "$TMP/out" >/dev/null && tail -n 2 "$TMP/out" | grep -F '</svg>' >/dev/null; then ok; else bad "$1: not an SVG document"; fi
    if [ "$HAVE_RSVG" -eq 1 ]; then
        if rsvg-convert "$TMP/out" -o "$TMP/plot.png" 2>"$TMP/rsvg.err" && [ -s "$TMP/plot.png" ]; then ok
        else bad "$1: rsvg-convert cannot render it"; sed 's/^/    /' "$TMP/rsvg.err" | head -n 3; fi
    fi
}
run help-plot-list --help; has "plot ranef|resid|qq DATA.csv 'FORMULA'"
run help-plot-kinds plot --help; expect_rc 0; has "usage: lmm plot ranef|resid|qq DATA.csv"; has "ranef"; has "resid"; has "qq"; has "hist"; has "--group G"
for k in ranef resid qq; do
    run "plot-$k" plot $k $D/sleepstudy.csv "$SL"
    expect_rc 0; svg_ok "plot-$k"
done
run plot-ranef-pulp plot ranef $D/pulp.csv 'bright ~ 1 + (1|operator)' --group operator --title 'pulp operators'
expect_rc 0; svg_ok plot-ranef-pulp; has "pulp operators"; has ">a<"
run plot-ranef-sleep plot ranef $D/sleepstudy.csv "$SL"
has ">Days<"; has ">309<"
run plot-qq-pulp plot qq $D/pulp.csv 'bright ~ 1 + (1|operator)'
expect_rc 0; svg_ok plot-qq-pulp
run plot-hist plot hist "$TMP/shard0.txt" "$TMP/shard1.txt" "$TMP/shard2.txt" "$TMP/shard3.txt"
expect_rc 0; svg_ok plot-hist
has "Bootstrap LRT statistics"
run plot-hist-one plot hist "$TMP/whole.txt"
expect_rc 0; svg_ok plot-hist-one
bad_input plot-no-kind "needs a kind" plot
bad_input plot-bad-kind "unknown plot 'pie'" plot pie $D/pulp.csv 'bright ~ 1 + (1|operator)'
bad_input plot-unknown-group "no grouping factor 'operatr'" plot ranef $D/pulp.csv 'bright ~ 1 + (1|operator)' --group operatr
bad_input plot-group-resid "--group applies to 'plot ranef' only" plot resid $D/pulp.csv 'bright ~ 1 + (1|operator)' --group operator
bad_input plot-group-missing "--group needs a value" plot ranef $D/pulp.csv 'bright ~ 1 + (1|operator)' --group
bad_input plot-missing-file "cannot open" plot qq "$TMP/no-such.csv" 'y ~ 1 + (1|g)'
bad_input plot-no-formula "needs DATA.csv and 'FORMULA'" plot resid $D/pulp.csv
bad_input plot-lm "random-effects term" plot qq $D/pulp.csv 'bright ~ operator'
bad_input plot-json "--json does not apply" plot qq $D/pulp.csv 'bright ~ 1 + (1|operator)' --json
bad_input plot-unknown-column "unknown column 'operatr'" plot resid $D/pulp.csv 'bright ~ 1 + (1|operatr)'
bad_input plot-hist-no-file "needs one or more statistics files" plot hist
bad_input plot-hist-missing "cannot open" plot hist "$TMP/no-such.txt"
bad_input plot-hist-incomplete "hold 250 of 1000" plot hist "$TMP/shard0.txt"
bad_input plot-hist-not-stats "bad header line" plot hist $D/pulp.csv

# ---- errors: one line on stderr, exit 2 for bad input -------------------
for c in lm aov fit; do
    bad_input "$c-missing-file" "cannot open" "$c" "$TMP/no-such.csv" 'y ~ x'
done
bad_input anova-missing-file "cannot open" anova "$TMP/no-such.csv" 'y ~ 1' 'y ~ x'
bad_input lm-bad-formula "offset" lm $D/pulp.csv 'bright ~ ~ operator'
bad_input aov-bad-formula "offset" aov $D/pulp.csv 'bright ~ (operator'
bad_input anova-bad-formula "offset" anova $D/pulp.csv 'bright ~ 1' 'bright ~ 1 + (1|'
bad_input lm-unknown-column "unknown column 'operatr' at offset 9 in formula 'bright ~ operatr'" lm $D/pulp.csv 'bright ~ operatr'
bad_input aov-unknown-column "unknown column 'operatr'" aov $D/pulp.csv 'bright ~ operatr'
bad_input anova-unknown-column "unknown column 'operatr'" anova $D/pulp.csv 'bright ~ 1' 'bright ~ 1 + (1|operatr)'
bad_input unknown-command "unknown command 'frobnicate'" frobnicate $D/pulp.csv
for c in lm aov fit anova; do
    if [ "$c" = anova ]; then set -- 'bright ~ 1' 'bright ~ 1 + (1|operator)'
    elif [ "$c" = fit ]; then set -- 'bright ~ 1 + (1|operator)'
    else set -- 'bright ~ operator'; fi
    bad_input "$c-bad-option" "unknown option '--bogus'" "$c" $D/pulp.csv "$@" --bogus
    bad_input "$c-ref-level" "level 'z' not found" "$c" $D/pulp.csv "$@" --ref operator=z
    bad_input "$c-ref-column" "" "$c" $D/pulp.csv "$@" --ref operatr=a
done
bad_input lm-ref-no-equals "COLUMN=LEVEL" lm $D/pulp.csv 'bright ~ operator' --ref operator
bad_input lm-ref-missing "COLUMN=LEVEL" lm $D/pulp.csv 'bright ~ operator' --ref
bad_input aov-bad-contrasts "--contrasts" aov $D/pulp.csv 'bright ~ operator' --contrasts helmert
bad_input aov-ml "unknown option '--ml'" aov $D/pulp.csv 'bright ~ operator' --ml
bad_input lm-missing-formula "needs DATA.csv" lm $D/pulp.csv
bad_input anova-one-formula "needs random-effects terms" anova $D/pulp.csv 'bright ~ 1'
bad_input ranova-no-random "ranova needs a model with random-effects terms" ranova $D/pulp.csv 'bright ~ operator'
bad_input ranova-two-formulas "too many arguments" ranova $D/pulp.csv 'bright ~ 1 + (1|operator)' 'bright ~ 1'
bad_input anova-type-4 "--type takes 1, 2 or 3" anova $D/Oats_ftab.csv 'yield ~ nitro + (1|Block)' --type 4
bad_input anova-ddf-lm "--ddf applies to mixed models" anova $D/Oats_ftab.csv 'yield ~ nitro' --ddf satterthwaite
bad_input anova-ddf-bad "--ddf takes" anova $D/Oats_ftab.csv 'yield ~ nitro + (1|Block)' --ddf containment
bad_input anova-type-two-models "apply to anova of one formula" anova $D/pulp.csv 'bright ~ 1' 'bright ~ 1 + (1|operator)' --type 2
bad_input lm-random-term "random-effects term" lm $D/pulp.csv 'bright ~ 1 + (1|operator)'
bad_input lm-factor-response "not numeric" lm $D/pulp.csv 'operator ~ 1'

# ---- --version, --factor COL and factor() in formulas --------------------
run version --version; expect_rc 0
if [ "$(cat "$TMP/out")" = "lmm 0.2.0" ]; then ok; else bad "version: printed '$(cat "$TMP/out")'"; fi
for c in fit lm aov anova boot predict ranef ranova contest plot; do
    run "help-factor-$c" "$c" --help; has "--factor COL"
done
# day means of sleepstudy by awk: with one level per day the fixed effects of
# Reaction ~ Days-as-factor + (1|Subject) (balanced) are the day-0 mean and the
# differences of the day means from it
day_mean() { awk -F, -v d="$1" -v f="$2" 'NR > 1 && $2 == d { s += $1; n++ } END { printf f, s / n }' $D/sleepstudy.csv; }
m0=$(day_mean 0 %.3f); m9=$(day_mean 9 %.3f); p0=$(day_mean 0 %.4f); p9=$(day_mean 9 %.4f)
d9=$(awk -v a="$m9" -v b="$m0" 'BEGIN { printf "%.3f", a - b }')
run factor-fit fit $D/sleepstudy.csv 'Reaction ~ Days + (1|Subject)' --factor Days
expect_rc 0; has "Days1 "; has "Days9 "; has "(Intercept)  $m0"; has "Days9         $d9"
run factor-formula-fit fit $D/sleepstudy.csv 'Reaction ~ factor(Days) + (1|Subject)'
expect_rc 0; has "factor(Days)1 "; has "(Intercept)    $m0"; has "factor(Days)9   $d9"
has "REML criterion at convergence: 1729.5"
run factor-group fit $D/sleepstudy.csv 'Reaction ~ Days + (1|factor(Subject))'
expect_rc 0; has " factor(Subject) (Intercept) 1378.2   37.12"; has "groups:  factor(Subject), 18"
run factor-lm lm $D/sleepstudy.csv 'Reaction ~ Days' --factor Days --ref Days=9
expect_rc 0; has "Days0 "; has "(Intercept)   $(awk -v a="$m9" 'BEGIN { printf "%.2f", a }')"
run factor-lm-formula lm $D/sleepstudy.csv 'Reaction ~ as.factor(Days)'
expect_rc 0; has "as.factor(Days)9"
printf 'Days,Subject\n0,308\n9,999\n' >"$TMP/factor_new.csv"
run factor-predict predict $D/sleepstudy.csv 'Reaction ~ Days + (1|Subject)' "$TMP/factor_new.csv" --factor Days --level pop
expect_rc 0; has "$p0"; has "$p9"
run factor-predict-formula predict $D/sleepstudy.csv 'Reaction ~ factor(Days) + (1|Subject)' "$TMP/factor_new.csv" --level pop
expect_rc 0; has "$p0"; has "$p9"
printf 'Days,Subject\n10,308\n' >"$TMP/factor_unseen.csv"
bad_input factor-predict-unseen "level '10' of factor 'factor(Days)'" predict $D/sleepstudy.csv 'Reaction ~ factor(Days) + (1|Subject)' "$TMP/factor_unseen.csv"
for c in aov anova boot ranef plot; do
    case $c in
        aov) set -- aov $D/sleepstudy.csv 'Reaction ~ Days' ;;
        anova) set -- anova $D/sleepstudy.csv 'Reaction ~ 1 + (1|Subject)' 'Reaction ~ Days + (1|Subject)' ;;
        boot) set -- boot $D/sleepstudy.csv 'Reaction ~ 1 + (1|Subject)' 'Reaction ~ Days + (1|Subject)' --nsim 2 --seed 1 ;;
        ranef) set -- ranef $D/sleepstudy.csv 'Reaction ~ 1 + (1|Days)' ;;
        plot) set -- plot ranef $D/sleepstudy.csv 'Reaction ~ 1 + (1|Days)' ;;
    esac
    run "factor-$c" "$@" --factor Days; expect_rc 0
done
has "<svg"
bad_input factor-unknown "--factor Dayz: no column 'Dayz'" lm $D/sleepstudy.csv 'Reaction ~ Days' --factor Dayz
bad_input factor-no-column "--factor needs a column name" fit $D/sleepstudy.csv 'Reaction ~ Days + (1|Subject)' --factor
bad_input factor-in-arith "makes a factor" lm $D/sleepstudy.csv 'Reaction ~ I(factor(Days))'

# formula functions: R's names, labels and correlation abbreviations
run fit-poly fit $D/sleepstudy.csv 'Reaction ~ poly(Days, 2) + (1|Subject)'
expect_rc 0
has "Formula: Reaction ~ poly(Days, 2) + (1 | Subject)"
has "REML criterion at convergence: 1769.3"
has "poly(Days, 2)1   403.36      30.98  13.020"
has "poly(Days, 2)2    32.86      30.98   1.061"
has "            (Intr) p(D,2)1"
has "ply(Dys,2)2 0.000  0.000  "
run lm-formfun lm $D/formfun.csv 'y ~ log1p(x) + pmin(x, 3) + scale(w, center = FALSE) + poly(x, 2, raw = TRUE)'
expect_rc 0
has "pmin(x, 3)"
has "scale(w, center = FALSE)"
has "poly(x, 2, raw = TRUE)2"
has "(4 observations deleted due to missingness)"
bad_input poly-degree "'degree' must be at least 1 at offset 22" lm $D/sleepstudy.csv 'Reaction ~ poly(Days, 0)'
bad_input poly-unique "'degree' must be less than number of unique points" lm $D/sleepstudy.csv 'Reaction ~ poly(Days, 10)'
# splines: summary as lme4 prints it; new data beyond the boundary knots extrapolate as R's predict (splines.R)
run fit-ns fit $D/sleepstudy.csv 'Reaction ~ ns(Days, 3) + (1|Subject)'
expect_rc 0
has "REML criterion at convergence: 1767.4"
has "ns(Days, 3)3   80.309      7.011  11.454"
has "ns(Days,3)3 -0.103  0.081   0.189 "
run predict-bs predict $D/sleepstudy.csv 'Reaction ~ bs(Days, df = 4) + (Days|Subject)' $D/sleepstudy_new.csv --level pop
expect_rc 0
has "    1     259.15456"; has "    6    1500.98129"
bad_input ns-factor "is a factor" lm $D/formfun.csv 'y ~ ns(g, 3)'
bad_input ns-df "ns()'s df must be a whole number from 1 to 100" lm $D/sleepstudy.csv 'Reaction ~ ns(Days, df = 0)'

# ---- statistical failure: exit 1 ----------------------------------------
printf 'y,g\n1,a\n1,a\n1,b\n1,b\n1,c\n1,c\n' >"$TMP/const.csv"
run anova-constant anova "$TMP/const.csv" 'y ~ 1' 'y ~ 1 + (1|g)'
expect_rc 1
if [ -s "$TMP/err" ]; then ok; else bad "anova-constant: no message on stderr"; fi
for c in boot ranef predict plot; do
    case $c in
        boot) set -- boot "$TMP/const.csv" 'y ~ 1' 'y ~ 1 + (1|g)' --nsim 5 ;;
        ranef) set -- ranef "$TMP/const.csv" 'y ~ 1 + (1|g)' ;;
        predict) set -- predict "$TMP/const.csv" 'y ~ 1 + (1|g)' "$TMP/pulp_new.csv" ;;
        plot) set -- plot qq "$TMP/const.csv" 'y ~ 1 + (1|g)' ;;
    esac
    run "$c-constant" "$@"
    expect_rc 1
    if [ "$(wc -l <"$TMP/err")" -eq 1 ]; then ok; else bad "$c-constant: stderr is not one line"; fi
done

# prior weights and offsets (figures: tests/data/weights.R, lme4 1.1 / R 4.2)
W=$D/sleepstudy_w.csv
run fit-weights fit $W 'Reaction ~ Days + (Days|Subject)' --weights w; expect_rc 0
has "Weights: w"; has "REML criterion at convergence: 1739.8"; has " -0.5754  0.0096  0.4449  4.1685"; has "Residual             132.96   11.531"
run fit-weights-json fit $W 'Reaction ~ Days + (Days|Subject)' --weights w --ml --json; expect_rc 0
in_range fit-weights-json "$(json_val criterion)" 1748.142411 1748.142412
run fit-offset fit $W 'Reaction ~ Days + offset(log(x)) + (Days|Subject)'; expect_rc 0
has "Formula: Reaction ~ Days + offset(log(x)) + (Days | Subject)"; has "Days          10.237      1.546   6.622"
run fit-offset-col fit $W 'Reaction ~ Days + (Days|Subject)' --offset x --json; expect_rc 0
run lm-weights lm $W 'Reaction ~ Days' --weights w; expect_rc 0
has "lm(formula = Reaction ~ Days, data = sleepstudy_w, weights = w)"; has "Weighted Residuals:"
has "-55.156 -13.832   1.017  13.058  67.332"; has "Residual standard error: 21.53 on 178 degrees of freedom"
has "Multiple R-squared:  0.3059,	Adjusted R-squared:  0.302 "
run anova-weights anova $W 'Reaction ~ Days + (1|Subject)' 'Reaction ~ Days + (Days|Subject)' --weights w; expect_rc 0
has "m1    6 1760.1 1779.3 -874.07   1748.1 48.139  2  3.521e-11 ***"
run boot-weights boot $W 'Reaction ~ Days' 'Reaction ~ Days + (1|Subject)' --weights w --nsim 10 --seed 1; expect_rc 0
has "observed LRT: 89.466"
printf 'Days,x,Subject\n0,1,308\n2.5,3.5,309\n9,10,372\n' > "$TMP/w_new.csv"
run predict-offset predict $W 'Reaction ~ Days + offset(log(x)) + (Days|Subject)' "$TMP/w_new.csv" --weights w --level pop; expect_rc 0
has "253.975"; has "342.322"
# a missing weight or offset drops the row (R's na.omit); offsets in lm (figures: tests/data/inputs.R)
run fit-weights-na fit $D/sleepstudy_wna.csv 'Reaction ~ Days + (Days|Subject)' --weights w; expect_rc 0
has "REML criterion at convergence: 1709.1"; has "Number of obs: 177, groups:  Subject, 18"
run lm-offset lm $W 'Reaction ~ Days + offset(log(x))' --weights w; expect_rc 0
has "(Intercept)  253.975      4.001  63.478  < 2e-16 ***"; has "Multiple R-squared:  0.3058,	Adjusted R-squared:  0.3019 "
bad_input weights-missing "weights column 'nope' not found" fit $W 'Reaction ~ Days + (Days|Subject)' --weights nope
bad_input weights-noarg "--weights needs a column name" fit $W 'Reaction ~ Days + (Days|Subject)' --weights
printf 'y,g,w\n1,a,1\n2,a,0\n3,b,1\n4,b,2\n5,c,1\n6,c,1\n' > "$TMP/w0.csv"
bad_input weights-zero "zero weight at row 2" fit "$TMP/w0.csv" 'y ~ 1 + (1|g)' --weights w
printf 'y,g,w\n1,a,1\n2,a,-1\n3,b,1\n4,b,2\n5,c,1\n6,c,1\n' > "$TMP/wneg.csv"
bad_input weights-negative "negative weights" lm "$TMP/wneg.csv" 'y ~ 1' --weights w

# ---- fit --family: glmer (figures: tests/data/glmm/*.json from lme4 1.1-31) ----
CB="cbind(incidence, size - incidence) ~ period + (1 | herd)"
run glmm-cbpp fit $D/cbpp.csv "$CB" --family binomial --factor herd --factor period; expect_rc 0
has "Generalized linear mixed model fit by maximum likelihood (Laplace"; has " Family: binomial  ( logit )"
has "   194.1    204.2    -92.0    184.1       51 "; has "(Intercept)  -1.3983     0.2312  -6.048 1.47e-09 ***"
run glmm-cbpp-json fit $D/cbpp.csv "$CB" --family binomial --factor herd --factor period --json; expect_rc 0
in_range glmm-deviance "$(json_val deviance)" 184.05313 184.0531328
run glmm-agq fit $D/cbpp.csv "$CB" --family binomial --nagq 9 --factor herd --factor period --json; expect_rc 0
in_range glmm-agq-deviance "$(json_val deviance)" 100.01003 100.0100361
run glmm-probit fit $D/cbpp.csv "$CB" --family binomial:probit --factor herd --factor period --json; expect_rc 0
in_range glmm-probit-deviance "$(json_val deviance)" 185.24248 185.2424852
run glmm-cloglog fit $D/cbpp.csv "$CB" --family binomial:cloglog --factor herd --factor period; expect_rc 0
has " Family: binomial  ( cloglog )"
run glmm-prop fit $D/cbpp.csv 'incidence / size ~ period + (1 | herd)' --family binomial --weights size --factor herd --factor period; expect_rc 0
has "Weights: size"; has "   194.1    204.2    -92.0    184.1       51 "
run glmm-poisson fit $D/grouseticks.csv 'TICKS ~ YEAR + scale(HEIGHT) + (1|BROOD) + (1|INDEX) + (1|LOCATION)' --family poisson --factor YEAR --json; expect_rc 0
in_range glmm-poisson-deviance "$(json_val deviance)" 1780.54270 1780.5427070
bad_input glmm-family-bad "--family takes binomial" fit $D/cbpp.csv "$CB" --family gamma
bad_input glmm-link-bad "poisson takes log" fit $D/cbpp.csv "$CB" --family poisson:logit
bad_input glmm-nagq-nofamily "--nagq needs --family" fit $D/cbpp.csv "$CB" --nagq 9
bad_input glmm-nagq-range "--nagq takes an integer from 1 to 25" fit $D/cbpp.csv "$CB" --family binomial --nagq 30
bad_input glmm-nagq-terms "nAGQ > 1 is only available for models with a single, scalar random-effects term" fit $D/grouseticks.csv 'TICKS ~ YEAR + (1|BROOD) + (1|LOCATION)' --family poisson --nagq 3
bad_input glmm-y-range "y values must be 0 <= y <= 1" fit $D/cbpp.csv 'size ~ period + (1 | herd)' --family binomial
bad_input glmm-poisson-negative "negative values not allowed for the 'Poisson' family" fit $D/cbpp.csv 'I(incidence - 3) ~ period + (1 | herd)' --family poisson
bad_input glmm-ml "--family fits by maximum likelihood" fit $D/cbpp.csv "$CB" --family binomial --ml
# fit --family without random-effects terms: R's glm (tests/data/glm/cbpp.txt, cbpp_offset.json)
run glm-fit fit $D/cbpp.csv 'cbind(incidence, size - incidence) ~ period' --family binomial --factor herd --factor period; expect_rc 0
has "glm(formula = cbind(incidence, size - incidence) ~ period, family = binomial, "; has "-3.5194  -1.1089  -0.4411   0.5896   3.3865  "
has "(Intercept)  -1.2690     0.1449  -8.757  < 2e-16 ***"; has "Residual deviance: 114.10  on 52  degrees of freedom"; has "AIC: 206.06"
run glm-fit-json fit $D/cbpp.csv 'incidence ~ period + offset(log(size))' --family poisson --factor period --json; expect_rc 0
in_range glm-fit-deviance "$(json_val deviance)" 98.0520002811 98.0520002812
in_range glm-fit-aic "$(json_val aic)" 197.225409921 197.225409922
bad_input glm-fit-nagq "--nagq needs random-effects terms" fit $D/cbpp.csv 'cbind(incidence, size - incidence) ~ period' --family binomial --nagq 5

# ---- anova / predict --family: lme4's anova and predict of glmer fits (tests/data/glmm/anova_predict.json) ----
CB0="cbind(incidence, size - incidence) ~ 1 + (1 | herd)"
run glmm-anova anova $D/cbpp.csv "$CB" "$CB0" --family binomial --factor herd --factor period; expect_rc 0
has "m1: cbind(incidence, size - incidence) ~ 1 + (1 | herd)"; has "   npar    AIC    BIC   logLik deviance Chisq Df Pr(>Chisq)    "
has "m0    5 194.05 204.18  -92.027   184.05 25.61  3  1.151e-05 ***"
run glmm-anova-json anova $D/grouseticks.csv 'TICKS ~ YEAR + (1|BROOD) + (1|LOCATION)' 'TICKS ~ YEAR + scale(HEIGHT) + (1|BROOD) + (1|LOCATION)' --family poisson --factor YEAR --json; expect_rc 0
in_range glmm-anova-chisq "$(json_val chisq)" 34.25030 34.25031
bad_input glmm-anova-one "compares two or more glmer formulas" anova $D/cbpp.csv "$CB" --family binomial
# a formula without random-effects terms is a glm: lme4's anova(glmer, glm) (tests/data/glm/anova_cbpp.json)
run glmm-anova-glm anova $D/cbpp.csv "$CB" 'cbind(incidence, size - incidence) ~ period' --family binomial --factor herd --factor period; expect_rc 0
has "m1    4 206.06 214.16 -99.029   198.06                         "; has "m0    5 194.05 204.18 -92.027   184.05 14.005  1  0.0001823 ***"
run glmm-anova-glm-json anova $D/cbpp.csv 'cbind(incidence, size - incidence) ~ period' "$CB" --family binomial --factor herd --factor period --json; expect_rc 0
in_range glmm-anova-glm-chisq "$(json_val chisq)" 14.00526 14.00527
bad_input glmm-anova-glm-y "y values must be 0 <= y <= 1" anova $D/cbpp.csv 'size ~ period' "$CB" --family binomial --factor herd --factor period
bad_input glmm-anova-nagq "--nagq needs --family" anova $D/cbpp.csv "$CB" "$CB0" --nagq 3
run glmm-predict-link predict $D/cbpp.csv "$CB" $D/glmm/cbpp_new.csv --family binomial --factor herd --factor period; expect_rc 0
has "Conditional predictions of"; has "on the link scale"; has "    1      -0.808713"
# row 3 against lme4's -2.39026784 (tests/data/glmm/anova_predict.json), within 1e-4 relative (our estimates, not lme4's)
in_range glmm-predict-row3 "$(awk '$1 == 3 { print $2 }' "$TMP/out")" -2.390507 -2.390029
run glmm-predict-resp predict $D/cbpp.csv "$CB" $D/glmm/cbpp_new.csv --family binomial --type response --level pop --factor herd --factor period; expect_rc 0
has "Population-level predictions"; has "    2       0.048426"; has "    5       0.074018"
run glmm-predict-json predict $D/grouseticks.csv 'TICKS ~ YEAR + scale(HEIGHT) + (1|BROOD) + (1|INDEX) + (1|LOCATION)' $D/glmm/grouseticks_new.csv --family poisson --type response --factor YEAR --json; expect_rc 0
in_range glmm-predict-grouse "$(json_val fit)" 3.9161 3.9165
bad_input glmm-predict-type "--type takes 'link' or 'response'" predict $D/cbpp.csv "$CB" $D/glmm/cbpp_new.csv --family binomial --type probability
bad_input glmm-predict-nofamily "--nagq and --type need --family" predict $D/cbpp.csv "$CB" $D/glmm/cbpp_new.csv --type response
bad_input glmm-predict-interval "--interval and --ml are for lmer fits" predict $D/cbpp.csv "$CB" $D/glmm/cbpp_new.csv --family binomial --interval confidence

# ---- boot --family: parametric-bootstrap LRT of nested glmer fits ----
CB0="cbind(incidence, size - incidence) ~ 1 + (1 | herd)"
run glmm-boot boot $D/cbpp.csv "$CB0" "$CB" --family binomial --factor herd --factor period --nsim 60 --seed 5 --json; expect_rc 0
in_range glmm-boot-observed "$(json_val observed)" 25.6099 25.6100
in_range glmm-boot-nvalid "$(json_val nvalid)" 60 60
p_one=$(json_val pvalue)
run glmm-boot-s0 boot $D/cbpp.csv "$CB0" "$CB" --family binomial --factor herd --factor period --nsim 60 --seed 5 --shard 0/2 --out "$TMP/gb0.txt"; expect_rc 0
run glmm-boot-s1 boot $D/cbpp.csv "$CB0" "$CB" --family binomial --factor herd --factor period --nsim 60 --seed 5 --shard 1/2 --out "$TMP/gb1.txt"; expect_rc 0
run glmm-boot-merge boot-merge "$TMP/gb1.txt" "$TMP/gb0.txt" --json; expect_rc 0
if [ -n "$p_one" ] && [ "$p_one" = "$(json_val pvalue)" ]; then ok; else bad "glmm boot: merged p-value differs from the single run's"; fi
run glmm-conv-warning fit $D/cbpp.csv "$CB" --family binomial --factor herd --factor period --max-evals 12; expect_rc 1
if grep -F "lmm: warning: Model failed to converge with max|grad| = " "$TMP/err" >/dev/null; then ok; else bad "glmm-conv-warning: no checkConv warning on stderr"; fi
run glmm-conv-json fit $D/cbpp.csv "$CB" --family binomial --factor herd --factor period --max-evals 12 --json; expect_rc 1
has '"converged": false, "warning": "Model failed to converge with max|grad| = '
run glmm-conv-json-ok fit $D/cbpp.csv "$CB" --family binomial --factor herd --factor period --json; expect_rc 0
has '"converged": true, "warning": null'
bad_input glmm-boot-nagq "--nagq needs --family" boot $D/cbpp.csv "$CB0" "$CB" --nagq 5
bad_input glmm-boot-nested "not fewer than the alternative's" boot $D/cbpp.csv "$CB" "$CB0" --family binomial --factor herd --factor period --nsim 10

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
