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

if [ ! -x "$LMM" ]; then
    echo "FAIL: $LMM not found or not executable (run make)"
    echo "0 passed, 1 failed"
    exit 1
fi

# ---- help ---------------------------------------------------------------
run help --help; expect_rc 0; has "usage: lmm COMMAND"; has "anova DATA.csv"
for c in fit lm aov anova; do
    run "help-$c" "$c" --help; expect_rc 0; has "usage: lmm $c DATA.csv"; has "--json"
done
run no-args; expect_rc 2

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

# ---- errors: one line on stderr, exit 2 for bad input -------------------
for c in lm aov fit; do
    bad_input "$c-missing-file" "cannot open" "$c" "$TMP/no-such.csv" 'y ~ x'
done
bad_input anova-missing-file "cannot open" anova "$TMP/no-such.csv" 'y ~ 1' 'y ~ x'
bad_input lm-bad-formula "offset" lm $D/pulp.csv 'bright ~ ~ operator'
bad_input aov-bad-formula "offset" aov $D/pulp.csv 'bright ~ (operator'
bad_input anova-bad-formula "offset" anova $D/pulp.csv 'bright ~ 1' 'bright ~ 1 + (1|'
bad_input lm-unknown-column "unknown column 'operatr'" lm $D/pulp.csv 'bright ~ operatr'
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
bad_input anova-one-formula "at least two formulas" anova $D/pulp.csv 'bright ~ 1'
bad_input lm-random-term "random-effects term" lm $D/pulp.csv 'bright ~ 1 + (1|operator)'
bad_input lm-factor-response "not numeric" lm $D/pulp.csv 'operator ~ 1'

# ---- statistical failure: exit 1 ----------------------------------------
printf 'y,g\n1,a\n1,a\n1,b\n1,b\n1,c\n1,c\n' >"$TMP/const.csv"
run anova-constant anova "$TMP/const.csv" 'y ~ 1' 'y ~ 1 + (1|g)'
expect_rc 1
if [ -s "$TMP/err" ]; then ok; else bad "anova-constant: no message on stderr"; fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
