#!/usr/bin/env node
// Writes a realistic synthetic stream of social mentions of a health system, one
// per line (no newlines inside), deterministic for a seed.
// Usage: node gen_mentions.js COUNT SEED > mentions.txt
'use strict';
const count = parseInt(process.argv[2] || '20000', 10);
let seed = parseInt(process.argv[3] || '42', 10) >>> 0;
function rnd() {  // mulberry32
  seed = (seed + 0x6D2B79F5) >>> 0;
  let t = seed;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const pick = (a) => a[Math.floor(rnd() * a.length)];
const chance = (p) => rnd() < p;

const brands = ['@MercyGeneral', '@StLukesHealth', '@CareCastHealth', '@RiversideMed', '@UnityHospital'];
const places = ['the ER', 'urgent care', 'the cancer center', 'labor and delivery', 'the NICU', 'radiology',
  'the pharmacy', 'the cafeteria', 'the parking garage', 'billing', 'the clinic on 5th', 'the ICU', 'pediatrics',
  'the heart center', 'physical therapy', 'the front desk'];
const people = ['my mom', 'my dad', 'my wife', 'my husband', 'my son', 'my daughter', 'my grandma', 'I', 'my friend',
  'my sister', 'our baby'];
const positive = [
  'the nurses were amazing and so kind', 'Dr. Lee explained everything clearly', 'staff were incredibly caring',
  'best care we could ask for', 'in and out in 20 minutes, impressed', 'the team saved his life, forever grateful',
  'super clean and well organised', 'everyone was friendly and professional', 'they really listened to us',
  'the food was actually good', 'smooth check-in with the new app', 'wonderful midwife, calm and reassuring',
  'thank you for the compassionate care', 'could not have asked for better', 'love the new patient portal'];
const negative = [
  'waited 6 hours and nobody checked on us', 'the front desk was rude and dismissive', 'got a surprise bill for $900',
  'parking is a nightmare and way too expensive', 'nobody called back about the test results',
  'the room was filthy', 'worst experience ever', 'they lost the paperwork again', 'the doctor barely looked at him',
  'charged twice and no refund', 'three hours on hold with scheduling', 'the nurse ignored the call button',
  'not impressed at all', 'staff were unprofessional', 'the discharge was chaotic and confusing'];
const neutral = [
  'is the pharmacy open on Sundays?', 'what are the visiting hours?', 'heading there for a checkup',
  'does anyone know where to park?', 'first chemo appointment tomorrow', 'had a stroke last night, in the ICU now',
  'tested positive for flu', 'getting knee surgery on Tuesday', 'waiting for MRI results', 'is the clinic taking new patients?',
  'the new wing opens next month', 'flu shots available this week', 'how do I get my medical records?'];
const connectors = [' but ', ' and ', '. ', ', ', ' - ', '... '];
const hashtags = ['#healthcare', '#nurses', '#HeartMonth', '#patientexperience', '#ER', '#grateful', '#hospitallife',
  '#billing', '#cancer', '#NICU', '#flushot', '#thankyou', '#fail', '#healthcareheroes'];
const emoji = ['😡', '🙏', '❤️', '😭', '👍', '🙄', '💙', '😷', '🏥', '😊', '😤', '👏', '💔'];
const emoticons = [':)', ':(', ':D', ';)', ':/', '<3'];
const links = ['https://t.co/x8Yk2LmQ', 'https://mercygeneral.org/er-wait-times', 'bit.ly/3xYz9k', 'www.carecast.org/flu'];
const spam = ['Earn $500/day working from home, DM me', 'FREE giveaway click here', 'Buy followers cheap, link in bio',
  'crypto investment opportunity, guaranteed returns', 'promo code SAVE50 on cheap meds no prescription'];
const phi = ['call me at 312-555-0142', 'my SSN is 123-45-6789', 'DOB 4/12/1950', 'MRN 00482913',
  'she is 94 years old', 'email jane.doe@gmail.com', 'we live at 42 Oak Hill Rd'];
const shouty = (s) => (chance(0.08) ? s.toUpperCase() : s);

function clause() {
  const r = rnd();
  if (r < 0.36) return pick(positive);
  if (r < 0.72) return pick(negative);
  return pick(neutral);
}

function mention() {
  if (chance(0.04)) return pick(spam) + ' ' + pick(links) + ' ' + pick(hashtags) + ' ' + pick(hashtags);
  let s = '';
  if (chance(0.45)) s += pick(brands) + ' ';
  s += chance(0.5) ? pick(people) + ' at ' + pick(places) + ': ' : pick(places) + ' ';
  s += shouty(clause());
  if (chance(0.5)) s += pick(connectors) + clause();
  if (chance(0.05)) s += ', ' + pick(phi);
  if (chance(0.25)) s += chance(0.5) ? '!!' : '!';
  if (chance(0.2)) s += ' ' + pick(emoji) + (chance(0.3) ? pick(emoji) : '');
  if (chance(0.06)) s += ' ' + pick(emoticons);
  if (chance(0.3)) s += ' ' + pick(hashtags);
  if (chance(0.1)) s += ' ' + pick(hashtags);
  if (chance(0.12)) s += ' ' + pick(links);
  return s;
}

const out = [];
for (let i = 0; i < count; i++) out.push(mention());
process.stdout.write(out.join('\n') + '\n');
