import { describe, expect, it } from 'vitest';
import { containerRefProblem, interfaceNameProblem, netnsNameProblem, netnsPathProblem, quote, utf8Length } from '../src/names';
import { kokoTag, linkIdFromTag, linkIdProblem, newLinkId, parseKokoTag } from '../src/link-id';

describe('interfaceNameProblem', () => {
  it.each(['eth1', 'e', 'veth-r1.100', 'tap_r1', 'a@b', 'a+b', 'abcdefghijklmno', '0'])('accepts %j', (name) => {
    expect(interfaceNameProblem(name)).toBeUndefined();
  });

  it.each([
    ['a space', 'eth 1', 'a space'],
    ['a newline', 'eth1\nup', 'a newline'],
    ['a tab', 'eth\t1', 'a tab'],
    ['a carriage return', 'eth1\r', 'whitespace'],
    ['a control character', 'eth\u00011', 'the control character 0x01'],
    ['a semicolon', 'eth1;reboot', '";"'],
    ['a slash', 'eth/1', '"/", which the kernel rejects'],
    ['a colon', 'eth1:0', '":", which the kernel rejects'],
    ['a double quote', 'eth"1', '"\\""'],
    ['a hash', 'eth#1', '"#"'],
    ['a dollar sign', '$eth1', '"$"'],
    ['a backtick', 'eth`1`', '"`"'],
  ])('rejects interface name with %s', (_case, name, character) => {
    const problem = interfaceNameProblem(name);
    expect(problem).toContain(`interface name ${quote(name)}`);
    expect(problem).toContain(`contains ${character}`);
  });

  it('rejects interface name of 16 bytes', () => {
    const problem = interfaceNameProblem('abcdefghijklmnop');
    expect(problem).toContain('"abcdefghijklmnop" is 16 bytes long');
    expect(problem).toContain('at most 15');
  });

  it('rejects 15 multi-byte characters by byte length', () => {
    const name = 'é'.repeat(15);
    expect(utf8Length(name)).toBe(30);
    expect(interfaceNameProblem(name)).toContain(`${quote(name)} is 30 bytes long`);
  });

  it('rejects one multi-byte character by character set', () => {
    expect(interfaceNameProblem('ethé')).toContain('contains "é"');
  });

  it('rejects empty interface name', () => {
    expect(interfaceNameProblem('')).toBe('interface name is empty; give a name such as eth1');
  });

  it.each(['.', '..'])('rejects reserved interface name %j', (name) => {
    expect(interfaceNameProblem(name)).toBe(`interface name ${quote(name)} is reserved; pick another name`);
  });
});

describe('netnsNameProblem', () => {
  it.each(['lab1', 'ns-a', 'r1.core'])('accepts %j', (name) => {
    expect(netnsNameProblem(name)).toBeUndefined();
  });

  it('accepts netns name of 255 bytes', () => {
    expect(netnsNameProblem('x'.repeat(255))).toBeUndefined();
  });

  it('rejects netns name with a slash', () => {
    const problem = netnsNameProblem('run/lab1');
    expect(problem).toContain('netns name "run/lab1" contains "/"');
    expect(problem).toContain('use -a <path>');
  });

  it('rejects netns name with a space', () => {
    expect(netnsNameProblem('lab 1')).toContain('netns name "lab 1" contains a space');
  });

  it('rejects netns name with a newline', () => {
    expect(netnsNameProblem('lab\n1')).toContain('netns name "lab\\n1" contains a newline');
  });

  it('rejects netns name over 255 bytes', () => {
    expect(netnsNameProblem('x'.repeat(256))).toContain('is longer than 255 bytes');
  });

  it.each(['', '.', '..'])('rejects netns name %j', (name) => {
    expect(netnsNameProblem(name)).toMatch(/netns name (is empty|".*" is reserved)/);
  });
});

describe('containerRefProblem', () => {
  it.each(['r1', 'web_1', 'a.b-c', '3f2a9c1b7d4e', 'R1'])('accepts %j', (ref) => {
    expect(containerRefProblem(ref)).toBeUndefined();
  });

  it.each([
    ['-rm', '"-"'],
    ['--privileged', '"-"'],
    ['.hidden', '"."'],
    ['_r1', '"_"'],
    [' r1', 'a space'],
  ])('rejects container name %j by its first character', (ref, character) => {
    const problem = containerRefProblem(ref);
    expect(problem).toContain(`container name ${quote(ref)} starts with ${character}`);
    expect(problem).toContain('start with a letter or digit');
  });

  it.each([
    ['r 1', 'a space'],
    ['r1\n', 'a newline'],
    ['r1;ls', '";"'],
    ['r1/x', '"/"'],
    ['r1:x', '":"'],
  ])('rejects container name %j by a later character', (ref, character) => {
    expect(containerRefProblem(ref)).toContain(`container name ${quote(ref)} contains ${character}`);
  });

  it('rejects empty container name', () => {
    expect(containerRefProblem('')).toContain('container name is empty');
  });

  it('rejects container name over 255 characters', () => {
    expect(containerRefProblem('r'.repeat(256))).toContain('is longer than 255 characters');
  });
});

describe('netnsPathProblem', () => {
  it.each(['/run/netns/lab1', '/proc/1234/ns/net', '/var/run/docker/netns/3f2a9c1b'])('accepts %j', (path) => {
    expect(netnsPathProblem(path)).toBeUndefined();
  });

  it.each([
    ['a relative path', 'run/netns/lab1', 'is not absolute'],
    ['a space', '/run/netns/lab 1', 'contains a space'],
    ['a semicolon', '/run/netns/a;b', 'contains ";"'],
    ['a parent directory', '/run/netns/../lab1', 'contains ".."'],
  ])('rejects netns path with %s', (_case, path, reason) => {
    const problem = netnsPathProblem(path);
    expect(problem).toContain(`netns path ${quote(path)}`);
    expect(problem).toContain(reason);
  });
});

describe('link ids', () => {
  it.each(['a', 'lab-1', '0123456789', 'x'.repeat(32)])('accepts link id %j', (id) => {
    expect(linkIdProblem(id)).toBeUndefined();
  });

  it.each(['', '-lab', 'Lab', 'lab_1', 'lab 1', 'x'.repeat(33)])('rejects link id %j', (id) => {
    expect(linkIdProblem(id)).toContain(`link id ${quote(id)} is invalid`);
  });

  it('makes ten hex digits', () => {
    const id = newLinkId();
    expect(id).toMatch(/^[0-9a-f]{10}$/);
    expect(linkIdProblem(id)).toBeUndefined();
  });

  it('makes a new id each time', () => {
    const ids = new Set(Array.from({ length: 100 }, () => newLinkId()));
    expect(ids.size).toBe(100);
  });

  it('reads the link id back from its tag', () => {
    expect(kokoTag('lab-1')).toBe('koko:lab-1');
    expect(linkIdFromTag(kokoTag('lab-1'))).toBe('lab-1');
  });

  it.each([undefined, '', 'uplink', 'koko:', 'koko:Bad Id', 'kokox:lab-1'])('ignores foreign alias %j', (alias) => {
    expect(linkIdFromTag(alias)).toBeUndefined();
  });
});

describe('koko tags', () => {
  it('round-trips a plain tag', () => {
    expect(parseKokoTag(kokoTag('abc123'))).toEqual({ linkId: 'abc123' });
  });

  it('round-trips a tag with a mirror namespace', () => {
    expect(kokoTag('abc123', '/run/netns/lab')).toBe('koko:abc123,mirror-ns=/run/netns/lab');
    expect(parseKokoTag('koko:abc123,mirror-ns=/run/netns/lab')).toEqual({ linkId: 'abc123', mirrorNamespace: '/run/netns/lab' });
  });

  it('ignores foreign aliases', () => {
    expect(parseKokoTag('uplink to core')).toBeUndefined();
    expect(parseKokoTag('koko:Not Valid')).toBeUndefined();
    expect(linkIdFromTag(undefined)).toBeUndefined();
  });
});
