#!/usr/bin/perl
# tests/mail/sisimai_ref.pl FILE...: the reference side of the bounce corpus
# test and bench.  Runs Sisimai (libsisimai-perl) on each file and prints one
# JSON object per file (JSON Lines): {"file","recipients":[{"address",
# "status","reason","hard","reply_code","action"}]}.  Sisimai 4.x has
# Sisimai->make, 5.x renamed it Sisimai->rise; both are handled.
# With --bench N it parses every file N times and prints only "files=F secs=S".
use strict;
use warnings;
use Sisimai;
use JSON::PP;
use Time::HiRes qw(time);

my $bench = 0;
if (@ARGV && $ARGV[0] eq '--bench') { shift; $bench = shift; }
my $fn = Sisimai->can('rise') ? 'rise' : 'make';
my $json = JSON::PP->new->canonical(1);

sub run_one {
    my $path = shift;
    my $r = Sisimai->$fn($path, delivered => 1) || [];
    return $r;
}

if ($bench) {
    my $t0 = time;
    my $n = 0;
    for my $i (1 .. $bench) {
        for my $f (@ARGV) { run_one($f); $n++; }
    }
    printf "files=%d secs=%.3f\n", $n, time - $t0;
    exit 0;
}

for my $f (@ARGV) {
    my $out = { file => $f, recipients => [] };
    my $r = eval { run_one($f) };
    if (!defined $r) { $out->{error} = "$@"; $r = []; }
    for my $d (@$r) {
        push @{$out->{recipients}}, {
            address    => lc($d->recipient->address // ''),
            status     => $d->deliverystatus // '',
            reason     => $d->reason // '',
            hard       => (($d->softbounce // -1) eq "0" ? JSON::PP::true : JSON::PP::false),
            reply_code => ($d->replycode // '') . '',
            action     => $d->action // '',
        };
    }
    print $json->encode($out), "\n";
}
