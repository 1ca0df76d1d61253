#!/usr/bin/perl
# fake_broker.pl: a Kafka "broker" that lies, for the CLI tests. It speaks
# just enough of the protocol for `kprod metadata`: ApiVersions (v0-v4) and
# Metadata v4, and answers every Metadata request with the same made-up
# cluster whose cluster id, host names and topic names hold terminal escape
# sequences, line breaks, bidirectional controls, invalid UTF-8 and valid
# non-ASCII text (the test knows the exact strings, see test_cli_untrusted.sh).
# Broker 1 is the fake broker itself (127.0.0.1:PORT), so that every
# connection kprod makes lands here. Produce requests are read and never
# answered, so that records sent to the topic "pending" stay pending
# (-X enable.idempotence=false: InitProducerId is not offered); any other
# request closes the connection.
#
# Usage: perl fake_broker.pl
# Prints the port it listens on (127.0.0.1, chosen by the system) as the
# first line on stdout, then serves until its standard input ends: run it
# as a coprocess, and it goes away with the test. Perl core modules only.
use strict;
use warnings;
use IO::Select;
use IO::Socket::INET;

my $listener = IO::Socket::INET->new(
    LocalAddr => '127.0.0.1',
    LocalPort => 0,
    Listen    => 16,
    ReuseAddr => 1,
    Proto     => 'tcp'
) or die "fake_broker: listen: $!\n";
my $port = $listener->sockport;
$| = 1;
print "$port\n";

# ---- encoding ----
sub i8  { pack('c', $_[0]) }
sub i16 { pack('s>', $_[0]) }
sub i32 { pack('l>', $_[0]) }
sub str { defined $_[0] ? i16(length $_[0]) . $_[0] : i16(-1) }    # bytes, as they are
sub uvarint {
    my ($v, $out) = ($_[0], '');
    while ($v >= 0x80) { $out .= chr(($v & 0x7f) | 0x80); $v >>= 7 }
    return $out . chr($v);
}
sub i32_array { i32(scalar @_) . join('', map { i32($_) } @_) }

# ---- the cluster: every string is bytes, sent exactly as written here ----
my $cluster_id = "evil\e]0;pwned\a\e[31mcluster\n";
my @brokers = (
    [1, '127.0.0.1', $port, undef],
    [2, "h\e[2Jost\r\n  9 forged", 9092, "rack\e[5m"],
    [3, "caf\xc3\xa9-\xe2\x80\xaeevil-\xff", 9093, undef],
    [4, "tab\there\\back\x7f\xc2\x9b", 9094, undef],
);
# [error_code, name, partition count]; every partition is led by broker 1.
my @topics = (
    [0, "ok\e[1mtopic",                          2],
    [3, "gone\a\n  topic forged: 1 partitions", 0],    # UNKNOWN_TOPIC_OR_PARTITION
    [0, "\xe6\x97\xa5\xe6\x9c\xac",              1],    # valid UTF-8, printable
    [0, "pending",                              1],    # for kprod produce
);

my %versions = (0 => [3, 3], 3 => [4, 4], 18 => [0, 4]);    # Produce, Metadata, ApiVersions

sub api_versions_body {
    my ($ver) = @_;
    my @keys = sort { $a <=> $b } keys %versions;
    if ($ver >= 3) {    # flexible: compact array, tagged fields
        my $b = i16(0) . uvarint(@keys + 1);
        $b .= i16($_) . i16($versions{$_}[0]) . i16($versions{$_}[1]) . uvarint(0) for @keys;
        return $b . i32(0) . uvarint(0);
    }
    my $b = i16(0) . i32(scalar @keys);
    $b .= i16($_) . i16($versions{$_}[0]) . i16($versions{$_}[1]) for @keys;
    return $ver >= 1 ? $b . i32(0) : $b;
}

sub metadata_v4_body {
    my $b = i32(0) . i32(scalar @brokers);    # throttle_time_ms, brokers
    $b .= i32($_->[0]) . str($_->[1]) . i32($_->[2]) . str($_->[3]) for @brokers;
    $b .= str($cluster_id) . i32(1) . i32(scalar @topics);    # controller 1
    for my $t (@topics) {
        $b .= i16($t->[0]) . str($t->[1]) . i8(0) . i32($t->[2]);
        $b .= i16(0) . i32($_) . i32(1) . i32_array(1) . i32_array(1) for 0 .. $t->[2] - 1;
    }
    return $b;
}

# The answer to one request, or undef to drop the connection.
sub answer {
    my ($req) = @_;
    my ($key, $ver, $corr) = unpack('s> s> l>', $req);
    my $body;
    if ($key == 18) {
        $body = api_versions_body($ver > 4 ? 4 : $ver);
    } elsif ($key == 3 && $ver == 4) {
        $body = metadata_v4_body();
    } elsif ($key == 0) {
        return '';    # Produce: never answered
    } else {
        return undef;
    }
    my $resp = i32($corr) . $body;    # response header v0 for both
    return i32(length $resp) . $resp;
}

my $sel = IO::Select->new($listener, \*STDIN);
my %buf;
for (;;) {
    for my $fh ($sel->can_read) {
        if ($fh == $listener) {
            my $c = $listener->accept or next;
            $sel->add($c);
            $buf{fileno $c} = '';
            next;
        }
        if ($fh == \*STDIN) {
            my $n = sysread(STDIN, my $junk, 4096);
            exit 0 unless $n;    # the test is gone
            next;
        }
        my $fd = fileno $fh;
        my $n  = sysread($fh, my $data, 65536);
        my $ok = $n;
        $buf{$fd} .= $data if $n;
        while ($ok && length $buf{$fd} >= 4) {
            my $len = unpack('l>', $buf{$fd});
            last if length $buf{$fd} < 4 + $len;
            my $req = substr($buf{$fd}, 4, $len);
            substr($buf{$fd}, 0, 4 + $len) = '';
            my $resp = answer($req);
            $ok = defined $resp && ($resp eq '' || defined syswrite($fh, $resp));
        }
        if (!$ok) {
            $sel->remove($fh);
            delete $buf{$fd};
            close $fh;
        }
    }
}
